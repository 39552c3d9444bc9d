"""The Secrets Manager commands of the seed documents, as written, with only --endpoint-url added."""
import json
import subprocess

from conftest import aws_env

# Seed 000_589f5bc16ad1479b.txt, section 3.1, verbatim.
CREATE_COMMANDS = [
    """aws secretsmanager create-secret \\
  --name "anomaly-detector/model-endpoints/primary" \\
  --description "Primary NER model endpoint configuration" \\
  --secret-string '{
    "endpoint_name": "anomaly-detector-ner-model",
    "endpoint_url": "https://your-sagemaker-endpoint-url",
    "api_key": "your-secure-api-key",
    "model_version": "v1.0.0",
    "inference_timeout": 30,
    "max_retries": 3,
    "batch_size": 32
  }' \\
  --tags '[
    {"Key": "Project", "Value": "anomaly-detector"},
    {"Key": "Environment", "Value": "development"},
    {"Key": "SecretType", "Value": "model-config"}
  ]' \\
  --profile anomaly-detector-dev""",
    """aws secretsmanager create-secret \\
  --name "anomaly-detector/external-apis/huggingface" \\
  --description "Hugging Face API credentials for model access" \\
  --secret-string '{
    "api_token": "hf_your_token_here",
    "model_repository": "your-org/security-ner-model",
    "cache_dir": "/tmp/hf_cache",
    "max_model_size": "2GB"
  }' \\
  --tags '[
    {"Key": "Project", "Value": "anomaly-detector"},
    {"Key": "Environment", "Value": "development"},
    {"Key": "SecretType", "Value": "external-api"}
  ]' \\
  --profile anomaly-detector-dev""",
    """aws secretsmanager create-secret \\
  --name "anomaly-detector/database/audit-store" \\
  --description "Database connection for audit trail storage" \\
  --secret-string '{
    "host": "your-rds-endpoint.region.rds.amazonaws.com",
    "port": 5432,
    "database": "anomaly_detector",
    "username": "detector_app",
    "password": "your-secure-password",
    "ssl_mode": "require",
    "connection_timeout": 30
  }' \\
  --tags '[
    {"Key": "Project", "Value": "anomaly-detector"},
    {"Key": "Environment", "Value": "development"},
    {"Key": "SecretType", "Value": "database"}
  ]' \\
  --profile anomaly-detector-dev""",
    """aws secretsmanager create-secret \\
  --name "anomaly-detector/notifications/alerts" \\
  --description "Configuration for security alert notifications" \\
  --secret-string '{
    "sns_topic_arn": "arn:aws:sns:us-east-1:123456789012:anomaly-alerts",
    "email_endpoints": ["security-team@company.com"],
    "slack_webhook": "https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK",
    "pagerduty_key": "your-pagerduty-integration-key"
  }' \\
  --tags '[
    {"Key": "Project", "Value": "anomaly-detector"},
    {"Key": "Environment", "Value": "development"},
    {"Key": "SecretType", "Value": "notifications"}
  ]' \\
  --profile anomaly-detector-dev""",
]

# Section 3.3, verbatim.
GET_MODEL = """aws secretsmanager get-secret-value \\
  --secret-id "anomaly-detector/model-endpoints/primary" \\
  --query 'SecretString' \\
  --output text \\
  --profile anomaly-detector-dev | jq ."""

GET_HF = """aws secretsmanager get-secret-value \\
  --secret-id "anomaly-detector/external-apis/huggingface" \\
  --query 'SecretString' \\
  --output text \\
  --profile anomaly-detector-dev | jq ."""

# Section 5.1 and the troubleshooting section, verbatim.
LIST = """aws secretsmanager list-secrets \\
  --filters Key=name,Values=anomaly-detector/ \\
  --profile anomaly-detector-dev"""

DESCRIBE = """aws secretsmanager describe-secret \\
  --secret-id "anomaly-detector/model-endpoints/primary" \\
  --profile anomaly-detector-dev"""

ROTATE = """aws secretsmanager rotate-secret \\
  --secret-id "anomaly-detector/database/audit-store" \\
  --rotation-lambda-arn "arn:aws:lambda:us-east-1:123456789012:function:rotate-database-secret" \\
  --rotation-rules AutomaticallyAfterDays=30 \\
  --profile anomaly-detector-dev"""


def with_endpoint(command: str, endpoint: str) -> str:
    """Adds --endpoint-url after `aws`, the one change the seed commands get."""
    assert command.startswith("aws "), command
    return f"aws --endpoint-url {endpoint} " + command[len("aws "):]


def run(command: str, coffer, env) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-o", "pipefail", "-c", with_endpoint(command, coffer.endpoint)],
                          env=env, capture_output=True, text=True, timeout=120)


def test_seed_000_section_3_as_written_survives_a_restart(coffer, tmp_path):
    env = aws_env(tmp_path, coffer)
    arns = []
    for command in CREATE_COMMANDS:
        result = run(command, coffer, env)
        assert result.returncode == 0, result.stderr
        created = json.loads(result.stdout)
        assert created["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:")
        assert created["ARN"].rsplit("-", 1)[1].isalnum() and len(created["ARN"].rsplit("-", 1)[1]) == 6
        arns.append(created["ARN"])

    model = run(GET_MODEL, coffer, env)
    assert model.returncode == 0, model.stderr
    assert json.loads(model.stdout)["endpoint_name"] == "anomaly-detector-ner-model"
    assert json.loads(model.stdout)["batch_size"] == 32

    coffer.restart()

    hf = run(GET_HF, coffer, env)
    assert hf.returncode == 0, hf.stderr
    assert json.loads(hf.stdout) == {
        "api_token": "hf_your_token_here", "model_repository": "your-org/security-ner-model",
        "cache_dir": "/tmp/hf_cache", "max_model_size": "2GB"}

    listed = run(LIST, coffer, env)
    assert listed.returncode == 0, listed.stderr
    secrets = json.loads(listed.stdout)["SecretList"]
    assert sorted(s["ARN"] for s in secrets) == sorted(arns)
    assert all(s["Name"].startswith("anomaly-detector/") for s in secrets)

    described = run(DESCRIBE, coffer, env)
    assert described.returncode == 0, described.stderr
    info = json.loads(described.stdout)
    assert info["Name"] == "anomaly-detector/model-endpoints/primary"
    assert info["Description"] == "Primary NER model endpoint configuration"
    assert {t["Key"]: t["Value"] for t in info["Tags"]} == {
        "Project": "anomaly-detector", "Environment": "development", "SecretType": "model-config"}
    assert list(info["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
    assert "SecretString" not in info


def test_rotate_secret_without_a_registered_function_is_refused_as_aws_does(coffer, tmp_path):
    # With rotate-database-secret registered, the same command rotates (test_rotation_postgres.py).
    env = aws_env(tmp_path, coffer)
    assert run(CREATE_COMMANDS[2], coffer, env).returncode == 0
    result = run(ROTATE, coffer, env)
    assert result.returncode != 0
    assert "AccessDeniedException" in result.stderr and "cannot invoke the specified Lambda function" in result.stderr


def test_seed_004_clickhouse_credentials(coffer):
    """The avesa/clickhouse/{environment} secret that seed 004's credential manager stores and reads."""
    creds = {"host": "your-host.clickhouse.cloud", "port": 8443, "username": "default",
             "password": "your-secure-password", "ssl": True}
    sm = coffer.client()
    sm.create_secret(Name="avesa/clickhouse/dev", Description="ClickHouse credentials for dev",
                     SecretString=json.dumps(creds),
                     Tags=[{"Key": "Project", "Value": "avesa"}, {"Key": "Environment", "Value": "dev"}])
    coffer.restart()
    sm = coffer.client()
    assert json.loads(sm.get_secret_value(SecretId="avesa/clickhouse/dev")["SecretString"]) == creds
    # The credential manager's rotate path: a new version becomes AWSCURRENT, the old one AWSPREVIOUS.
    rotated = dict(creds, password="n3w-password")
    put = sm.put_secret_value(SecretId="avesa/clickhouse/dev", SecretString=json.dumps(rotated))
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert json.loads(sm.get_secret_value(SecretId="avesa/clickhouse/dev")["SecretString"])["password"] == "n3w-password"
    previous = sm.get_secret_value(SecretId="avesa/clickhouse/dev", VersionStage="AWSPREVIOUS")
    assert json.loads(previous["SecretString"]) == creds


def test_root_credentials_file_works_as_written(coffer):
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(coffer.data_dir / "root-credentials"), AWS_DEFAULT_REGION="us-east-1")
    result = subprocess.run(["aws", "--endpoint-url", coffer.endpoint, "secretsmanager", "list-secrets"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"SecretList": []}
    mode = (coffer.data_dir / "root-credentials").stat().st_mode & 0o777
    assert mode == 0o600
    assert (coffer.data_dir / "root.key").stat().st_mode & 0o777 == 0o600
    key, secret = coffer.root_credentials()
    assert key in coffer.logs() or "root-credentials" in coffer.logs()
    assert secret not in coffer.logs()


def test_aws_endpoint_url_environment_variable(coffer, tmp_path):
    """Seed 003's AWS_ENDPOINT_URL style works too."""
    env = aws_env(tmp_path, coffer)
    env["AWS_ENDPOINT_URL"] = coffer.endpoint
    result = subprocess.run(["aws", "secretsmanager", "list-secrets", "--profile", "anomaly-detector-dev"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# Seed 002_e0c1c5dd9bc33c76.txt, "3. Enable CloudTrail", verbatim.
CREATE_TRAIL = """aws cloudtrail create-trail \\
  --name cml-worker-management-audit \\
  --s3-bucket-name my-audit-bucket"""


def test_seed_002_create_trail_as_written(coffer, tmp_path):
    env = aws_env(tmp_path, coffer, profile="default")
    result = run(CREATE_TRAIL, coffer, env)
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["Name"] == "cml-worker-management-audit" and created["S3BucketName"] == "my-audit-bucket"
    assert created["TrailARN"].startswith("arn:aws:cloudtrail:us-east-1:") and created["TrailARN"].endswith(":trail/cml-worker-management-audit")
    assert created["IncludeGlobalServiceEvents"] is True and created["IsMultiRegionTrail"] is False
    again = run(CREATE_TRAIL, coffer, env)
    assert again.returncode != 0 and "TrailAlreadyExistsException" in again.stderr
    coffer.restart()
    trail = coffer.client("cloudtrail").get_trail(Name="cml-worker-management-audit")["Trail"]
    assert trail["HomeRegion"] == "us-east-1" and trail["TrailARN"] == created["TrailARN"]
