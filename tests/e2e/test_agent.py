"""`coffer agent`: the Secrets Manager Agent's protocol, driven with curl, caching and following rotation."""
import json
import subprocess
import time

import pytest
from conftest import aws_env, free_port

TOKEN = "ssrf-token-for-tests"


@pytest.fixture
def agent(binary, coffer, tmp_path):
    port = free_port()
    env = aws_env(tmp_path, coffer)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=coffer.endpoint, AWS_TOKEN=TOKEN)
    proc = subprocess.Popen([binary, "agent", "--port", str(port), "--ttl-seconds", "300", "--version-check-seconds", "1"],
                            stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stderr.readline()
    assert "listening on 127.0.0.1" in line, line
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    assert proc.wait(timeout=10) == 0


def curl(url, token=TOKEN):
    headers = ["-H", f"X-Aws-Parameters-Secrets-Token: {token}"] if token else []
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *headers, url], capture_output=True, text=True, timeout=30)
    body, status = out.stdout.rsplit("\n", 1)
    return int(status), json.loads(body) if body else None


def get_events(coffer, name):
    return coffer.client("cloudtrail").lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])["Events"]


def test_reads_are_cached_and_follow_rotation(coffer, agent):
    sm = coffer.client()
    sm.create_secret(Name="clickhouse/dev", SecretString='{"password":"one"}')
    for _ in range(5):
        status, body = curl(f"{agent}/secretsmanager/get?secretId=clickhouse/dev")
        assert status == 200 and json.loads(body["SecretString"]) == {"password": "one"} and body["VersionStages"] == ["AWSCURRENT"]
    assert len(get_events(coffer, "GetSecretValue")) == 1  # four reads never left the agent
    status, by_path = curl(f"{agent}/v1/clickhouse%2Fdev")
    assert status == 200 and by_path["Name"] == "clickhouse/dev"
    sm.put_secret_value(SecretId="clickhouse/dev", SecretString='{"password":"two"}')
    time.sleep(1.2)
    status, body = curl(f"{agent}/secretsmanager/get?secretId=clickhouse/dev")
    assert json.loads(body["SecretString"]) == {"password": "two"}  # AWS's agent would serve "one" until the TTL ends
    status, previous = curl(f"{agent}/secretsmanager/get?secretId=clickhouse/dev&versionStage=AWSPREVIOUS")
    assert json.loads(previous["SecretString"]) == {"password": "one"}
    before = len(get_events(coffer, "GetSecretValue"))
    curl(f"{agent}/secretsmanager/get?secretId=clickhouse/dev&refreshNow=true")
    assert len(get_events(coffer, "GetSecretValue")) == before + 1


def test_token_errors_and_parameters(coffer, agent):
    coffer.client().create_secret(Name="s", SecretString="v")
    assert curl(f"{agent}/secretsmanager/get?secretId=s", token=None)[0] == 403
    assert curl(f"{agent}/secretsmanager/get?secretId=s", token="wrong")[0] == 403
    status, body = curl(f"{agent}/secretsmanager/get?secretId=missing")
    assert status == 400 and body["__type"] == "ResourceNotFoundException"
    coffer.client("ssm").put_parameter(Name="/ELASMETRICS/STAGING/api/key", Value="k1", Type="SecureString")
    status, body = curl(f"{agent}/systemsmanager/parameters/get?name=%2FELASMETRICS%2FSTAGING%2Fapi%2Fkey&withDecryption=true")
    assert status == 200 and body["Parameter"]["Value"] == "k1"


def test_refuses_to_start_without_a_token(binary, coffer, tmp_path):
    env = aws_env(tmp_path, coffer)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=coffer.endpoint)
    out = subprocess.run([binary, "agent", "--port", str(free_port())], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 2 and "AWS_TOKEN" in out.stderr
