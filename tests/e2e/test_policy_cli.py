"""`coffer policy simulate`: the server's engine on local files."""
import json
import subprocess
from pathlib import Path

HERE = Path(__file__).parent


def simulate(binary, *args):
    return subprocess.run([binary, "policy", "simulate", *args], capture_output=True, text=True, timeout=60)


def test_lines_and_json(binary):
    seed = str(HERE / "seed_000_policy.json")
    inside = "arn:aws:secretsmanager:us-east-1:123456789012:secret:anomaly-detector/db-AbCdEf"
    outside = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/db-AbCdEf"
    result = simulate(binary, "--policy", seed, "--action", "secretsmanager:GetSecretValue", "--resource", inside, "--resource", outside)
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert [(l[0], l[2]) for l in lines] == [("allowed", inside), ("implicitDeny", outside)]
    assert lines[0][3].endswith("#SecretsManagerAccess")

    # StringEquals takes no wildcards: the seed's "secretsmanager.*.amazonaws.com" never matches, as on AWS.
    as_json = simulate(binary, "--policy", seed, "--action", "kms:Decrypt", "--resource", "arn:aws:kms:us-east-1:123456789012:key/k",
                       "--context", "kms:ViaService=secretsmanager.us-east-1.amazonaws.com", "--json")
    assert json.loads(as_json.stdout)["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    failing = simulate(binary, "--policy", seed, "--action", "iam:CreateUser", "--fail-on-deny")
    assert failing.returncode == 1


def test_malformed_policy_is_reported(binary, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}')
    result = simulate(binary, "--policy", str(bad), "--action", "s3:GetObject")
    assert result.returncode != 0 and "MalformedPolicyDocument" in result.stderr
