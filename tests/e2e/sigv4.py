"""A small independent SigV4 signer for tests that need control over the timestamp and form."""
import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed_request(endpoint, target, body: dict, key, secret, region="us-east-1", service="secretsmanager",
                   when: datetime.datetime | None = None, tamper=None, raw: bytes | None = None,
                   token: str | None = None):
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    host = endpoint.split("://", 1)[1]
    payload = raw if raw is not None else json.dumps(body).encode()
    headers = {"host": host, "x-amz-date": amz_date, "x-amz-target": target,
               "content-type": "application/x-amz-json-1.1"}
    if token:
        headers["x-amz-security-token"] = token
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/", "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed,
                           hashlib.sha256(payload).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret).encode(), amz_date[:8])
    for part in (region, service, "aws4_request"):
        k = _hmac(k, part)
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    if tamper:
        tamper(headers)
    return send(endpoint, headers, payload)


def send(endpoint, headers, payload: bytes, url_suffix="/"):
    request = urllib.request.Request(endpoint + url_suffix, data=payload, method="POST",
                                     headers={k: v for k, v in headers.items() if k != "host"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
