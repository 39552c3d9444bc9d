"""`coffer import` and `coffer export`: .env and JSON files into Parameter Store or a secret and back."""
import json
import os
import stat
import subprocess

from conftest import aws_env

ENV_FILE = """# seed 003's .env.staging, plus credentials
USE_PARAMETER_STORE=true
LOCAL_DEV_MODE=false
export LOG_LEVEL=info # inline comment
CLICKHOUSE_PASSWORD="s3cr3t \\"quoted\\""
API_TOKEN='tok-$literal'
"""


def coffer_cmd(binary, coffer, tmp_path, *args, stdin=None):
    env = aws_env(tmp_path, coffer)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=coffer.endpoint)
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=60, input=stdin)


def test_env_file_into_parameters_and_back(binary, coffer, tmp_path):
    source = tmp_path / ".env.staging"
    source.write_text(ENV_FILE)
    dry = coffer_cmd(binary, coffer, tmp_path, "import", str(source), "--to", "ssm:/ELASMETRICS/STAGING/api", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "new\t/ELASMETRICS/STAGING/api/CLICKHOUSE_PASSWORD\tSecureString" in dry.stdout
    assert "new\t/ELASMETRICS/STAGING/api/LOG_LEVEL\tString" in dry.stdout
    assert "s3cr3t" not in dry.stdout + dry.stderr
    ssm = coffer.client("ssm")
    assert ssm.get_parameters_by_path(Path="/ELASMETRICS/STAGING/api")["Parameters"] == []
    done = coffer_cmd(binary, coffer, tmp_path, "import", str(source), "--to", "ssm:/ELASMETRICS/STAGING/api")
    assert done.returncode == 0, done.stderr
    password = ssm.get_parameter(Name="/ELASMETRICS/STAGING/api/CLICKHOUSE_PASSWORD", WithDecryption=True)["Parameter"]
    assert password["Type"] == "SecureString" and password["Value"] == 's3cr3t "quoted"'
    assert ssm.get_parameter(Name="/ELASMETRICS/STAGING/api/API_TOKEN", WithDecryption=True)["Parameter"]["Value"] == "tok-$literal"
    again = coffer_cmd(binary, coffer, tmp_path, "import", str(source), "--to", "ssm:/ELASMETRICS/STAGING/api")
    assert all(line.startswith("unchanged") for line in again.stdout.splitlines()), again.stdout
    assert ssm.get_parameter(Name="/ELASMETRICS/STAGING/api/LOG_LEVEL")["Parameter"]["Version"] == 1

    out = tmp_path / "local.env"
    exported = coffer_cmd(binary, coffer, tmp_path, "export", "ssm:/ELASMETRICS/STAGING", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "plain text" in exported.stderr and stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = out.read_text()
    assert 'CLICKHOUSE_PASSWORD="s3cr3t \\"quoted\\""' in text and 'LOG_LEVEL="info"' in text
    refused = coffer_cmd(binary, coffer, tmp_path, "export", "ssm:/ELASMETRICS/STAGING", "--output", str(out))
    assert refused.returncode == 2 and "--force" in refused.stderr


def test_json_into_a_secret_is_idempotent_and_readable_by_run(binary, coffer, tmp_path):
    source = tmp_path / "clickhouse.json"
    source.write_text(json.dumps({"host": "ch.internal", "port": 8443, "password": "pw"}))
    first = coffer_cmd(binary, coffer, tmp_path, "import", str(source), "--to", "secretsmanager:clickhouse/dev")
    assert first.returncode == 0, first.stderr
    second = coffer_cmd(binary, coffer, tmp_path, "import", str(source), "--to", "secretsmanager:clickhouse/dev")
    assert second.returncode == 0 and "unchanged" in second.stdout
    sm = coffer.client()
    assert len(sm.list_secret_version_ids(SecretId="clickhouse/dev")["Versions"]) == 1
    assert json.loads(sm.get_secret_value(SecretId="clickhouse/dev")["SecretString"]) == {"host": "ch.internal", "port": "8443", "password": "pw"}
    source.write_text(json.dumps({"host": "ch.internal", "port": 8443, "password": "rotated"}))
    changed = coffer_cmd(binary, coffer, tmp_path, "import", str(source), "--to", "secretsmanager:clickhouse/dev")
    assert "changed\tclickhouse/dev#password" in changed.stdout
    assert len(sm.list_secret_version_ids(SecretId="clickhouse/dev")["Versions"]) == 2
    exported = coffer_cmd(binary, coffer, tmp_path, "export", "secretsmanager:clickhouse/dev", "--format", "json", "--output", "-")
    assert json.loads(exported.stdout)["password"] == "rotated"


def test_yaml_mappings_become_parameter_paths(binary, coffer, tmp_path):
    source = tmp_path / "config.yaml"
    source.write_text("mysql:\n  host: db.internal\n  password: \"pw\"\nlog_level: info\n")
    out = coffer_cmd(binary, coffer, tmp_path, "import", str(source), "--to", "ssm:/ELASMETRICS/STAGING")
    assert out.returncode == 0, out.stderr
    ssm = coffer.client("ssm")
    password = ssm.get_parameter(Name="/ELASMETRICS/STAGING/mysql/password", WithDecryption=True)["Parameter"]
    assert password["Type"] == "SecureString" and password["Value"] == "pw"
    assert ssm.get_parameter(Name="/ELASMETRICS/STAGING/mysql/host")["Parameter"]["Value"] == "db.internal"
    assert ssm.get_parameter(Name="/ELASMETRICS/STAGING/log_level")["Parameter"]["Type"] == "String"


def test_bad_files_name_the_line_and_change_nothing(binary, coffer, tmp_path):
    bad = tmp_path / "bad.env"
    bad.write_text("A=1\nthis line has no equals\n")
    out = coffer_cmd(binary, coffer, tmp_path, "import", str(bad), "--to", "ssm:/app")
    assert out.returncode == 2 and f"{bad}:2" in out.stderr
    assert coffer.client("ssm").get_parameters_by_path(Path="/app")["Parameters"] == []
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": ')
    assert coffer_cmd(binary, coffer, tmp_path, "import", str(broken), "--to", "secretsmanager:x").returncode == 2
    assert coffer_cmd(binary, coffer, tmp_path, "import", str(bad), "--to", "s3://bucket").returncode == 2
