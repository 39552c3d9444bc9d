"""Rotation against a real PostgreSQL server: seed 000's command as written through the built-in
single-user rotation, AWS's alternating-users strategy with a master secret, and a failure that
leaves AWSCURRENT working."""
import json
import subprocess

import pytest

from conftest import REGION, aws_env
from postgres_server import postgres  # noqa: F401 - the fixture
from test_rotation import ACCOUNT, current_version, events, lambda_arn, start_node, wait_for

FUNCTIONS = [{"name": "rotate-database-secret", "type": "postgres-single-user"},
             {"name": "rotate-postgres-alternating", "type": "postgres-alternating-users"}]


@pytest.fixture
def node(binary, tmp_path):
    server = start_node(binary, tmp_path, FUNCTIONS)
    yield server
    server.stop()


def test_seed_000_rotate_database_secret_as_written(node, postgres, tmp_path):
    assert postgres.psql("CREATE DATABASE anomaly_detector").returncode == 0
    assert postgres.psql("CREATE USER detector_app WITH PASSWORD 'your-secure-password'").returncode == 0
    assert postgres.can_log_in("detector_app", "your-secure-password", "anomaly_detector")
    env = aws_env(tmp_path, node)
    endpoint = ["--endpoint-url", node.endpoint]
    value = {"host": "127.0.0.1", "port": postgres.port, "database": "anomaly_detector", "username": "detector_app",
             "password": "your-secure-password", "ssl_mode": "require", "connection_timeout": 30}
    subprocess.run(["aws", *endpoint, "secretsmanager", "create-secret", "--name", "anomaly-detector/database/audit-store",
                    "--description", "Database connection for audit trail storage", "--secret-string", json.dumps(value),
                    "--tags", '[{"Key": "Project", "Value": "anomaly-detector"}, {"Key": "SecretType", "Value": "database"}]',
                    "--profile", "anomaly-detector-dev"], env=env, check=True, capture_output=True)
    # Seed 000 section 3.2, as written, endpoint added.
    out = subprocess.run(["aws", *endpoint, "secretsmanager", "rotate-secret",
                          "--secret-id", "anomaly-detector/database/audit-store",
                          "--rotation-lambda-arn", "arn:aws:lambda:us-east-1:123456789012:function:rotate-database-secret",
                          "--rotation-rules", "AutomaticallyAfterDays=30",
                          "--profile", "anomaly-detector-dev"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    token = json.loads(out.stdout)["VersionId"]
    sm = node.client()
    wait_for(lambda: current_version(sm, "anomaly-detector/database/audit-store") == token, timeout=60)
    rotated = json.loads(sm.get_secret_value(SecretId="anomaly-detector/database/audit-store")["SecretString"])
    assert rotated["username"] == "detector_app" and rotated["password"] != "your-secure-password"
    assert rotated["ssl_mode"] == "require" and rotated["database"] == "anomaly_detector" and rotated["port"] == postgres.port
    # A real login with the new AWSCURRENT works; the retired password is refused.
    assert postgres.can_log_in("detector_app", rotated["password"], "anomaly_detector")
    assert not postgres.can_log_in("detector_app", "your-secure-password", "anomaly_detector")
    # The connection was encrypted: ssl_mode require was honoured (the server has TLS on).
    assert postgres.psql("SHOW ssl").stdout.strip() == "on"
    assert [e["eventName"] for e in events(node, "RotationSucceeded")] == ["RotationSucceeded"]


def test_alternating_users_keep_the_previous_login_working(node, postgres):
    assert postgres.psql("CREATE USER app_user WITH PASSWORD 'first-password'").returncode == 0
    sm = node.client()
    master = sm.create_secret(Name="pg/master", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": postgres.port, "username": "postgres",
        "password": postgres.superuser_password}))["ARN"]
    sm.create_secret(Name="pg/app", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": str(postgres.port), "username": "app_user", "password": "first-password",
        "dbname": "postgres", "masterarn": master, "ssl_mode": "disable"}))
    first = sm.rotate_secret(SecretId="pg/app", RotationLambdaARN=lambda_arn("rotate-postgres-alternating"))["VersionId"]
    wait_for(lambda: current_version(sm, "pg/app") == first, timeout=60)
    one = json.loads(sm.get_secret_value(SecretId="pg/app")["SecretString"])
    assert one["username"] == "app_user_clone" and one["masterarn"] == master
    assert postgres.can_log_in("app_user_clone", one["password"])
    assert postgres.can_log_in("app_user", "first-password")  # AWSPREVIOUS still works
    # The clone is a member of the original user's role, as AWS's template grants it.
    assert postgres.psql("SELECT pg_has_role('app_user_clone', 'app_user', 'MEMBER')").stdout.strip() == "t"
    second = sm.rotate_secret(SecretId="pg/app")["VersionId"]
    wait_for(lambda: current_version(sm, "pg/app") == second, timeout=60)
    two = json.loads(sm.get_secret_value(SecretId="pg/app")["SecretString"])
    assert two["username"] == "app_user" and two["password"] != "first-password"
    assert postgres.can_log_in("app_user", two["password"])
    assert not postgres.can_log_in("app_user", "first-password")
    assert postgres.can_log_in("app_user_clone", one["password"])  # now AWSPREVIOUS


def test_failure_leaves_awscurrent_working(node, postgres):
    assert postgres.psql("CREATE USER drifted WITH PASSWORD 'changed-out-of-band'").returncode == 0
    sm = node.client()
    sm.create_secret(Name="pg/drifted", SecretString=json.dumps({
        "host": "127.0.0.1", "port": postgres.port, "username": "drifted", "password": "stale", "dbname": "postgres"}))
    before = current_version(sm, "pg/drifted")
    sm.rotate_secret(SecretId="pg/drifted", RotationLambdaARN=lambda_arn("rotate-database-secret"))
    failed = wait_for(lambda: [e for e in events(node, "RotationFailed") if "pg/drifted" in e["additionalEventData"]["SecretId"]],
                      timeout=60)
    assert "during setSecret step" in failed[0]["errorMessage"]
    assert "Unable to log into database" in failed[0]["errorMessage"]
    assert current_version(sm, "pg/drifted") == before
    assert json.loads(sm.get_secret_value(SecretId="pg/drifted")["SecretString"])["password"] == "stale"
    assert postgres.can_log_in("drifted", "changed-out-of-band")  # nothing changed in the database
