"""`coffer posture` against a real `coffer serve` seeded with good and bad states, rotation history included."""
import json
import subprocess
import uuid

import pytest
from conftest import aws_env
from test_rotation import hook, lambda_arn, start_node, wait_for, events  # noqa: F401  (hook is a fixture)

CHECKLIST_TFVARS = """# Enhanced security, half done
enable_sagemaker = true
enable_kms_encryption = true
enable_cloudwatch_monitoring = true
enable_vpc_endpoints = true
enable_guardduty = true
enable_security_hub = false   # not yet
enable_waf = true
security_alert_email = "security@yourcompany.com"
"""


def posture(binary, *args, env=None):
    return subprocess.run([binary, "posture", "--no-progress", *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def account(binary, tmp_path, hook):
    node = start_node(binary, tmp_path, [{"name": "rotate-password", "type": "random-password"},
                                         {"name": "webhook", "type": "http", "url": hook["url"], "signingSecretEnv": "HOOK_SECRET", "timeoutSeconds": 10}])
    hook["client"] = node.client()
    sm, iam, kms, ssm = node.client(), node.client("iam"), node.client("kms"), node.client("ssm")
    tags = [{"Key": "Project", "Value": "anomaly-detector"}, {"Key": "Environment", "Value": "dev"}, {"Key": "SecretType", "Value": "database"}]
    sm.create_secret(Name="anomaly-detector/db", SecretString='{"password":"x"}', Tags=tags)
    sm.rotate_secret(SecretId="anomaly-detector/db", RotationLambdaARN=lambda_arn("rotate-password"), RotationRules={"AutomaticallyAfterDays": 30})
    wait_for(lambda: sm.describe_secret(SecretId="anomaly-detector/db").get("LastRotatedDate"))
    sm.create_secret(Name="legacy-token", SecretString="abc")
    sm.create_secret(Name="anomaly-detector/flaky", SecretString="v1", Tags=tags)
    hook["fail"] = "setSecret"
    sm.rotate_secret(SecretId="anomaly-detector/flaky", RotationLambdaARN=lambda_arn("webhook"), RotationRules={"AutomaticallyAfterDays": 7})
    wait_for(lambda: events(node, "RotationFailed"))
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/api/db_password", Value="hunter2-but-longer", Type="String")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/api/log_level", Value="debug", Type="String")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/api/settings", Value="sk_live_" + uuid.uuid4().hex[:24], Type="String")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/api/clickhouse_password", Value="s3cure!", Type="SecureString")
    iam.create_user(UserName="ci")
    iam.create_access_key(UserName="ci")
    iam.create_access_key(UserName="ci")
    iam.put_user_policy(UserName="ci", PolicyName="admin", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.create_login_profile(UserName="ci", Password="Console-Passw0rd")
    iam.create_user(UserName="reader")
    reader_key = iam.create_access_key(UserName="reader")["AccessKey"]
    iam.put_user_policy(UserName="reader", PolicyName="secrets-only", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy",
                                                                             "sts:GetCallerIdentity"], "Resource": "*"}]}))
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       RequireNumbers=True, RequireSymbols=False)
    kms.create_key(Description="no rotation")
    doomed = kms.create_key(Description="doomed")["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    rotating = kms.create_key(Description="rotating")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotating)
    yield node, reader_key
    node.stop()


def test_report_file_json_and_exit_code(binary, account, tmp_path):
    node, _ = account
    env = aws_env(tmp_path, node)
    config = tmp_path / "posture.json"
    config.write_text(json.dumps({"profile": "checklist", "requiredTags": ["Project", "Environment", "SecretType"],
                                  "secretNamePattern": "anomaly-detector/.+"}))
    tfvars = tmp_path / "terraform.tfvars"
    tfvars.write_text(CHECKLIST_TFVARS)
    report_file = tmp_path / "security-report.json"
    out = posture(binary, "--endpoint-url", node.endpoint, "--aws-profile", "anomaly-detector-dev", "--config", str(config),
                  "--tfvars", str(tfvars), "--report-file", str(report_file), env=env)
    assert out.returncode == 1, out.stderr + out.stdout
    assert "Summary:" in out.stdout and "Security tiers of" in out.stdout
    report = json.loads(report_file.read_text())
    found = {(f["check"], f["resource"].split(":")[-1] if f["resource"].startswith("arn:") else f["resource"]) for f in report["findings"]}
    checks = {f["check"] for f in report["findings"]}

    def about(check, fragment):
        return [f for f in report["findings"] if f["check"] == check and fragment in f["resource"] + f["details"]]

    assert about("secret-rotation-disabled", "legacy-token") and not about("secret-rotation-disabled", "anomaly-detector/db")
    failing = about("secret-rotation-failing", "anomaly-detector/flaky")
    assert failing and "setSecret" in failing[0]["details"]
    assert about("secret-missing-tags", "legacy-token") and not about("secret-missing-tags", "anomaly-detector/db")
    assert about("secret-name-convention", "legacy-token")
    assert about("parameter-plaintext-secret", "db_password") and about("parameter-plaintext-secret", "settings")
    assert not about("parameter-plaintext-secret", "log_level") and not about("parameter-plaintext-secret", "clickhouse_password")
    assert about("user-multiple-active-keys", "user/ci") and about("user-direct-policies", "user/ci")
    assert about("user-console-without-mfa", "user/ci") and not about("user-console-without-mfa", "user/reader")
    assert about("policy-full-admin", "user/ci#admin")
    assert about("password-policy", "account")[0]["details"].count(";") >= 2  # length 8 < 12, symbols, expiry, reuse
    assert about("kms-key-pending-deletion", "")
    assert len(about("kms-key-rotation-disabled", "")) == 1
    assert about("root-access-key", "root") and about("root-recent-use", "root")
    assert report["summary"]["CRITICAL"] >= 2 and report["profile"] == "checklist"
    # No secret value ever reaches the report.
    text = report_file.read_text() + out.stdout
    assert "hunter2-but-longer" not in text and "sk_live_" not in text and "s3cure!" not in text
    tiers = {t["name"]: t for t in report["tiers"]["tiers"]}
    assert report["tiers"]["highest"] == "Basic" and tiers["Basic"]["met"]
    assert "enable_security_hub" in tiers["Enhanced"]["missing"] and "enable_cloudtrail" in tiers["Enhanced"]["missing"]
    assert "security_alert_email" in tiers["Enterprise"]["missing"]  # the placeholder address does not count
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert statuses["secret-unused"] == "PASSED" and statuses["secret-rotation-disabled"] == "FAILED"
    # Read from the credential report (GenerateCredentialReport, GetCredentialReport): ci's password was set just now.
    assert statuses["user-password-expired"] == "PASSED"
    assert found  # every finding names its resource

    # --fail-on none: nothing fails the run, and every check ran.
    quiet = posture(binary, "--endpoint-url", node.endpoint, "--aws-profile", "anomaly-detector-dev", "--fail-on", "none", "--json-output", env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["profile"] == "foundational"
    sarif = json.loads(posture(binary, "--endpoint-url", node.endpoint, "--aws-profile", "anomaly-detector-dev", "--format", "sarif", env=env).stdout)
    import sarif_pydantic
    sarif_pydantic.Sarif.model_validate(sarif)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"root-access-key", "secret-rotation-disabled"}


def test_partial_report_when_credentials_lack_permissions(binary, account, tmp_path):
    node, key = account
    env = {k: v for k, v in aws_env(tmp_path, node).items()}
    env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    out = posture(binary, "--endpoint-url", node.endpoint, "--fail-on", "none", "--json-output", env=env)
    assert out.returncode == 3, out.stderr
    report = json.loads(out.stdout)
    not_run = {c["check"]: c.get("reason", "") for c in report["checks"] if c["status"] == "NOT_RUN"}
    assert "AccessDenied" in not_run["access-key-not-rotated"] and "kms-key-rotation-disabled" in not_run
    assert "AccessDenied" in not_run["user-password-expired"]
    assert "secret-rotation-disabled" not in not_run
    assert any(f["check"] == "secret-rotation-disabled" for f in report["findings"])


def test_unreachable_endpoint_and_bad_config(binary, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE12", "AWS_SECRET_ACCESS_KEY": "x" * 40}
    out = posture(binary, "--endpoint-url", "http://127.0.0.1:9", "--fail-on", "none", env=env)
    assert out.returncode == 3 and "Not run (partial report)" in out.stdout and "could not be reached" in out.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"maxAccessKeyAge": "ninety"}')
    refused = posture(binary, "--endpoint-url", "http://127.0.0.1:9", "--config", str(bad), env=env)
    assert refused.returncode == 2 and "maxAccessKeyAge" in refused.stderr
    assert posture(binary, "--profile", "lenient", env=env).returncode == 2
