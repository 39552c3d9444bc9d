"""Federation for CI: IAM OpenID Connect providers and AssumeRoleWithWebIdentity, unsigned as on AWS, with a
GitHub-Actions-shaped ID token signed by a key the test controls and served from a JWKS endpoint."""
import base64
import http.server
import json
import threading
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from conftest import REGION, Coffer, fails

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
REPO = "octo-org/octo-repo"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Issuer:
    """An OpenID Connect issuer's signing keys: an RSA key (RS256) and an EC key (ES256), published as a JWKS."""

    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        numbers = self.rsa.public_key().public_numbers()
        point = self.ec.public_key().public_numbers()
        self.jwks = {"keys": [
            {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": uint(numbers.n), "e": uint(numbers.e)},
            {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": b64url(point.x.to_bytes(32, "big")), "y": b64url(point.y.to_bytes(32, "big"))},
        ]}

    def token(self, alg="RS256", kid=None, key=None, **overrides):
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": f"repo:{REPO}:ref:refs/heads/main", "repository": REPO,
                  "ref": "refs/heads/main", "actor": "octocat", "iat": now, "nbf": now - 5, "exp": now + 300}
        claims.update(overrides)
        header = {"alg": alg, "typ": "JWT", "kid": kid or ("rsa-1" if alg == "RS256" else "ec-1")}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        if alg == "RS256":
            signature = (key or self.rsa).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
            r, s = decode_dss_signature((key or self.ec).sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input.decode()}.{b64url(signature)}"


@pytest.fixture
def issuer():
    keys = Issuer()
    fetches = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            fetches.append(self.path)
            body = json.dumps(keys.jwks).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    keys.url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    keys.fetches = fetches
    yield keys
    server.shutdown()


@pytest.fixture
def node(binary, tmp_path, issuer):
    coffer = Coffer(binary, tmp_path / "data", env={"COFFER_WEB_IDENTITY_KEYS": f"{ISSUER}={issuer.url}"}).start()
    yield coffer
    coffer.stop()


def trust(account, sub=f"repo:{REPO}:*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": AUDIENCE},
                      "StringLike": {"token.actions.githubusercontent.com:sub": sub}}}]})


def unsigned_sts(node):
    return boto3.client("sts", endpoint_url=node.endpoint, region_name=REGION, config=Config(signature_version=UNSIGNED))


def setup_role(node):
    iam = node.client("iam")
    account = node.client("sts").get_caller_identity()["Account"]
    arn = iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=[AUDIENCE], ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])[
        "OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust(account))
    iam.put_role_policy(RoleName="deploy", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    node.client().create_secret(Name="ci/deploy-key", SecretString="deploy-key-value")
    return account, f"arn:aws:iam::{account}:role/deploy"


def test_oidc_provider_lifecycle(node):
    iam = node.client("iam")
    arn = iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=[AUDIENCE], Tags=[{"Key": "team", "Value": "ci"}])[
        "OpenIDConnectProviderArn"]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.actions.githubusercontent.com"
    assert got["ClientIDList"] == [AUDIENCE] and got["ThumbprintList"] == []
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [arn]
    fails(lambda: iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=[AUDIENCE]), "EntityAlreadyExists",
          f"Provider with url {ISSUER} already exists.")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="other-audience")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == [AUDIENCE, "other-audience"] and got["ThumbprintList"] == ["a" * 40]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=AUDIENCE)
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["other-audience"]
    fails(lambda: iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["z" * 40]), "ValidationError")
    fails(lambda: iam.create_open_id_connect_provider(Url="http://insecure.example.com", ClientIDList=["x"]), "ValidationError")
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    fails(lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn), "NoSuchEntity")
    # Idempotent, as AWS documents DeleteOpenIDConnectProvider.
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_github_actions_token_is_exchanged_for_a_session_that_reads_a_secret(node, issuer):
    account, role = setup_role(node)
    answer = unsigned_sts(node).assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha-run-1",
                                                              WebIdentityToken=issuer.token(), DurationSeconds=900)
    assert answer["SubjectFromWebIdentityToken"] == f"repo:{REPO}:ref:refs/heads/main"
    assert answer["Audience"] == AUDIENCE and answer["Provider"] == ISSUER
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/deploy/gha-run-1"
    credentials = answer["Credentials"]
    secrets = boto3.client("secretsmanager", endpoint_url=node.endpoint, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                           aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    assert secrets.get_secret_value(SecretId="ci/deploy-key")["SecretString"] == "deploy-key-value"
    fails(lambda: secrets.delete_secret(SecretId="ci/deploy-key"), "AccessDeniedException")
    # An ES256 token from the same issuer works too, and the keys were fetched once.
    es_token = issuer.token(alg="ES256")
    unsigned_sts(node).assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha-run-2", WebIdentityToken=es_token)
    assert issuer.fetches == ["/jwks"]
    # The exchange is in the trail, under the web identity.
    events = node.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithWebIdentity"}])["Events"]
    assert len(events) == 2
    assert json.loads(events[0]["CloudTrailEvent"])["userIdentity"]["type"] == "WebIdentityUser"
    # The token is a credential: the trail keeps its claims' issuer out and never the token itself.
    assert es_token not in events[0]["CloudTrailEvent"] and es_token.split(".")[2] not in events[0]["CloudTrailEvent"]


def test_tokens_that_must_not_pass(node, issuer):
    account, role = setup_role(node)
    sts = unsigned_sts(node)

    def exchange(token, session="gha"):
        return lambda: sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName=session, WebIdentityToken=token)

    fails(exchange(issuer.token(sub="repo:someone-else/repo:ref:refs/heads/main")), "AccessDenied",
          "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    fails(exchange(issuer.token(exp=int(time.time()) - 60)), "ExpiredTokenException", "Token expired")
    fails(exchange(issuer.token(aud="someone-else")), "InvalidIdentityToken", "Incorrect token audience")
    fails(exchange(issuer.token(iss="https://unknown.example.com")), "InvalidIdentityToken", "No OpenIDConnect provider found")
    forged = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    fails(exchange(issuer.token(key=forged)), "InvalidIdentityToken")
    fails(exchange("not-a-jwt"), "InvalidIdentityToken")
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = issuer.token().split(".")[1]
    fails(exchange(f"{header}.{body}."), "InvalidIdentityToken")
    # A role whose trust does not name the provider refuses every token.
    node.client("iam").create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    fails(lambda: sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{account}:role/other", RoleSessionName="gha",
                                                    WebIdentityToken=issuer.token()), "AccessDenied")


def test_cli_assume_role_with_web_identity(node, issuer, tmp_path):
    import os
    import subprocess
    _, role = setup_role(node)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    out = subprocess.run(["aws", "--endpoint-url", node.endpoint, "sts", "assume-role-with-web-identity", "--role-arn", role,
                          "--role-session-name", "cli", "--web-identity-token", issuer.token()], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_token_file_in_the_environment_is_exchanged_by_the_client(binary, node, issuer, tmp_path):
    """EKS IRSA and CI jobs: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (or a profile's web_identity_token_file)
    make Coffer's own client exchange the token, unsigned, before it reads a secret."""
    import os
    import subprocess
    import sys
    _, role = setup_role(node)
    token = tmp_path / "token"
    token.write_text(issuer.token() + "\n")
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ENDPOINT_URL": node.endpoint,
            "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    args = [binary, "run", "--secret", "KEY=ci/deploy-key", "--", sys.executable, "-c", "import os; print(os.environ['KEY'])"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60,
                         env={**base, "AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token), "AWS_ROLE_SESSION_NAME": "irsa-pod"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "deploy-key-value"
    config = tmp_path / "config"
    config.write_text(f"[profile ci]\nrole_arn = {role}\nweb_identity_token_file = {token}\n")
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**base, "AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "ci"})
    assert out.returncode == 0, out.stderr
    sessions = node.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithWebIdentity"}])["Events"]
    assert len(sessions) == 2
    token.write_text(issuer.token(aud="someone-else"))
    out = subprocess.run(args, capture_output=True, text=True, timeout=60,
                         env={**base, "AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token)})
    assert out.returncode == 2 and "InvalidIdentityToken" in out.stderr
