"""Sends every operation of the botocore models Coffer serves, correctly signed, with mutated bodies
(wrong types, truncation, deep nesting, huge numbers, invalid UTF-8, duplicate keys) and expects a
4xx answer in AWS's error shape every time: never a 5xx, never a hang, never a dropped connection.

    python3 tests/fuzz/wire_mutations.py --endpoint http://127.0.0.1:4566 [--seed 1] [--per-operation 12]

Operations Coffer does not implement answer NotImplementedException (501) once a call passes the model's
checks; they are listed apart and mutated no further. Exit status 1 when any 5xx or transport failure was seen.
"""
import argparse
import http.client
import json
import random
import sys
import urllib.parse

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

JSON_SERVICES = {"secretsmanager": "secretsmanager", "ssm": "ssm", "kms": "kms", "cloudtrail": "cloudtrail"}
QUERY_SERVICES = {"iam": "iam", "sts": "sts"}
# Errors AWS sends with no message member at all (recorded against AWS; docs/fidelity.md).
MESSAGELESS = {"InvalidCiphertextException", "KMSInvalidSignatureException", "KMSInvalidMacException",
               "UnsupportedOperationException"}


def example(model, depth=0):
    """A plausible value for a shape: strings of their minimum length, numbers in range."""
    kind = model.type_name
    if depth > 4:
        return None
    if kind == "structure":
        out = {}
        for name, member in model.members.items():
            if name in model.required_members or random.random() < 0.3:
                value = example(member, depth + 1)
                if value is not None:
                    out[name] = value
        return out
    if kind == "list":
        return [example(model.member, depth + 1)]
    if kind == "map":
        return {"k": example(model.value, depth + 1)}
    if kind == "string":
        if model.enum:
            return model.enum[0]
        return "x" * max(1, model.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return max(1, model.metadata.get("min", 1))
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1_700_000_000
    if kind == "blob":
        return "eA=="
    if kind == "double" or kind == "float":
        return 1.0
    return None


def mutations(body: dict):
    """Raw bodies derived from a plausible one."""
    text = json.dumps(body)
    yield "as-is", text.encode()
    yield "empty", b""
    yield "truncated", text.encode()[: max(1, len(text) // 2)]
    yield "array", b"[1,2,3]"
    yield "string", b'"just a string"'
    yield "deep-nesting", b'{"a":' * 5000 + b"1" + b"}" * 5000
    yield "deep-array", b"[" * 100_000
    yield "invalid-utf8", text.encode()[:-1] + b',"Name":"\xff\xfe\xc3\x28"}' if len(body) else b'{"Name":"\xff\xfe"}'
    yield "duplicate-keys", (text[:-1] + ("," if body else "") + text[1:]).encode() if body else b'{"a":1,"a":2}'
    yield "huge-number", json.dumps({k: 10**400 for k in body} or {"MaxResults": 10**400}).encode()
    for name in list(body)[:6]:
        for wrong in (12345678901234567890, -1, "", "x" * 70_000, [], {}, None, True, 1.5):
            changed = dict(body)
            changed[name] = wrong
            yield f"{name}={type(wrong).__name__}", json.dumps(changed).encode()
    yield "control-chars", json.dumps({k: "\u0000\u0001\u001f" for k in body}).encode()


def query_mutations(action: str, params: dict):
    yield "as-is", params
    yield "no-action", {k: v for k, v in params.items() if k != "Action"}
    for name in [k for k in params if k not in ("Action", "Version")][:6]:
        for wrong in ("", "x" * 70_000, "-1", "99999999999999999999999", "%ff%fe", "\u0000"):
            changed = dict(params)
            changed[name] = wrong
            yield f"{name}={wrong[:8]!r}", changed
    yield "unknown-member", dict(params, NotAMember="1")
    yield "list-gap", dict(params, **{"Tags.member.5.Key": "k"})


def flatten(prefix, value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, list):
        for i, v in enumerate(value, 1):
            flatten(f"{prefix}.member.{i}", v, out)
    elif value is not None:
        out[prefix] = str(value).lower() if isinstance(value, bool) else str(value)


class Target:
    def __init__(self, endpoint, key, secret, region):
        self.parsed = urllib.parse.urlparse(endpoint)
        self.endpoint = endpoint.rstrip("/")
        self.credentials = Credentials(key, secret)
        self.region = region

    def send(self, service, headers, body: bytes):
        request = AWSRequest(method="POST", url=self.endpoint + "/", data=body, headers=headers)
        SigV4Auth(self.credentials, service, self.region).add_auth(request)
        connection = http.client.HTTPConnection(self.parsed.hostname, self.parsed.port, timeout=30)
        try:
            connection.request("POST", "/", body=body, headers=dict(request.headers.items()))
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def run(endpoint, key="AKIAFUZZ", secret="fuzz", region="us-east-1", seed=1, per_operation=None, services=None, log=print):
    random.seed(seed)
    session = botocore.session.get_session()
    target = Target(endpoint, key, secret, region)
    failures, unimplemented, sent = [], [], 0
    for service in services or list(JSON_SERVICES) + list(QUERY_SERVICES):
        model = session.get_service_model(service)
        for operation in model.operation_names:
            op = model.operation_model(operation)
            body = example(op.input_shape) if op.input_shape is not None else {}
            if service in JSON_SERVICES:
                prefix = model.metadata["targetPrefix"]
                headers = {"Content-Type": f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.1')}", "X-Amz-Target": f"{prefix}.{operation}"}
                cases = [(label, raw) for label, raw in mutations(body or {})]
            else:
                params = {"Action": operation, "Version": model.api_version}
                flatten("", body or {}, params)
                headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
                cases = [(label, urllib.parse.urlencode(p, safe="%").encode()) for label, p in query_mutations(operation, params)]
            if per_operation:
                cases = cases[:1] + random.sample(cases[1:], min(per_operation, len(cases) - 1))
            for index, (label, raw) in enumerate(cases):
                sent += 1
                try:
                    status, answer = target.send(service, headers, raw)
                except Exception as error:  # a dropped connection or a hang is a failure like a 5xx
                    failures.append((service, operation, label, f"transport: {type(error).__name__}"))
                    continue
                if status == 501:
                    # An operation Coffer does not implement says so (after the model's checks, which come first).
                    unimplemented.append(f"{service}:{operation}")
                    break
                if status >= 500:
                    failures.append((service, operation, label, f"{status} {answer[:160]!r}"))
                elif status >= 400 and service in JSON_SERVICES:
                    try:
                        shape = json.loads(answer)
                        assert "__type" in shape
                        assert "message" in shape or "Message" in shape or shape["__type"] in MESSAGELESS
                    except Exception:
                        failures.append((service, operation, label, f"{status} not AWS's JSON error shape: {answer[:120]!r}"))
    log(f"sent {sent} requests; {len(failures)} failures; {len(unimplemented)} operations not implemented")
    for failure in failures[:50]:
        log("FAIL", *failure)
    return failures, unimplemented, sent


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="http://127.0.0.1:4566")
    parser.add_argument("--access-key", default="AKIAFUZZ")
    parser.add_argument("--secret-key", default="fuzz")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-operation", type=int, default=None, help="mutations per operation (default: all)")
    parser.add_argument("--service", action="append")
    parser.add_argument("--show-unimplemented", action="store_true")
    arguments = parser.parse_args()
    found, missing, _ = run(arguments.endpoint, arguments.access_key, arguments.secret_key, seed=arguments.seed,
                            per_operation=arguments.per_operation, services=arguments.service)
    if arguments.show_unimplemented:
        print("\n".join(missing))
    sys.exit(1 if found else 0)
