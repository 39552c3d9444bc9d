"""Seed 003's configuration hierarchy through `coffer config resolve`, with the seed's own put-parameter commands."""
import json
import subprocess

from conftest import aws_env

SEED_COMMANDS = [
    ["ssm", "put-parameter", "--name", "/ELASMETRICS/STAGING/ELASTICSEARCH/PASSWORD", "--value", "your-es-password", "--type", "SecureString",
     "--description", "Elasticsearch password for staging", "--region", "eu-west-1"],
    ["ssm", "put-parameter", "--name", "/ELASMETRICS/STAGING/MYSQL/PASSWORD", "--value", "your-mysql-password", "--type", "SecureString",
     "--description", "MySQL password for staging", "--region", "eu-west-1"],
    ["ssm", "put-parameter", "--name", "/ELASMETRICS/STAGING/ELASTICSEARCH/USERNAME", "--value", "elastic_user", "--type", "String",
     "--description", "Elasticsearch username for staging", "--region", "eu-west-1"],
]


def setup(coffer, tmp_path):
    env = aws_env(tmp_path, coffer)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=coffer.endpoint)
    for command in SEED_COMMANDS:
        out = subprocess.run(["aws", *command], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
    app = tmp_path / "app"
    (app / "config").mkdir(parents=True)
    (app / ".env").write_text("USE_PARAMETER_STORE=true\nPARAMETER_STORE_PREFIX=/ELASMETRICS\nENV=STAGING\nLOCAL_DEV_MODE=false\nMYSQL_HOST=from-dotenv\n")
    (app / ".env.staging").write_text("MYSQL_HOST=staging-db\nMYSQL_USER=staging_user\n")
    (app / "config" / "config.yaml").write_text("""# defaults
mysql:
  host: localhost
  port: 3306
  user: root
elasticsearch:
  host: "es.internal"
  username: yaml_user   # overridden by Parameter Store
""")
    (app / "config" / "config.json").write_text(json.dumps({"airflow": {"dag_concurrency": 4}, "mysql": {"port": 3307}}))
    env["AWS_REGION"] = "eu-west-1"
    return app, env


def resolve(binary, app, env, *args):
    return subprocess.run([binary, "config", "resolve", "--dir", str(app), *args], capture_output=True, text=True, env=env, timeout=60, cwd=app)


def test_each_level_of_the_hierarchy(binary, coffer, tmp_path):
    app, env = setup(coffer, tmp_path)
    out = resolve(binary, app, env, "--format", "json", "--explain")
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    assert config["ELASTICSEARCH_PASSWORD"]["value"] == "****" and config["ELASTICSEARCH_PASSWORD"]["from"].startswith("ssm:/ELASMETRICS/STAGING")
    assert config["ELASTICSEARCH_USERNAME"]["value"] == "elastic_user"  # Parameter Store over YAML
    assert config["ELASTICSEARCH_USERNAME"]["overrides"][0].endswith("config.yaml:8")
    assert config["MYSQL_HOST"]["value"] == "staging-db" and ".env.staging:1" in config["MYSQL_HOST"]["from"]  # .env.staging over .env over YAML
    assert len(config["MYSQL_HOST"]["overrides"]) == 2
    assert config["MYSQL_USER"]["value"] == "staging_user" and config["MYSQL_PORT"]["value"] == "3306"  # YAML over JSON
    assert config["AIRFLOW_DAG_CONCURRENCY"]["value"] == "4"
    shown = resolve(binary, app, env, "--format", "env", "--show-secrets")
    assert 'MYSQL_PASSWORD="your-mysql-password"' in shown.stdout
    # The process environment beats the files; the seed's passwords never print without --show-secrets.
    env_over = dict(env, MYSQL_HOST="from-environment")
    text = resolve(binary, app, env_over, "--explain").stdout
    assert "MYSQL_HOST=from-environment    # from environment" in text and "your-mysql-password" not in text


def test_local_dev_mode_needs_no_aws(binary, coffer, tmp_path):
    app, env = setup(coffer, tmp_path)
    (app / ".env").write_text("LOCAL_DEV_MODE=true\nUSE_PARAMETER_STORE=false\nES_PASSWORD=local-es-password\nMYSQL_PASSWORD=local-mysql-password\n")
    offline = dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:9")
    out = resolve(binary, app, offline, "--format", "json", "--show-secrets")
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    assert config["MYSQL_PASSWORD"] == "local-mysql-password" and "ELASTICSEARCH_PASSWORD" not in config


def test_missing_keys_and_bad_files(binary, coffer, tmp_path):
    app, env = setup(coffer, tmp_path)
    missing = resolve(binary, app, env, "--require", "REDIS_URL")
    assert missing.returncode == 1 and "REDIS_URL not set" in missing.stderr and "Parameter Store /ELASMETRICS/STAGING" in missing.stderr
    (app / "config" / "config.yaml").write_text("mysql:\n  host: [a, b]\n")
    bad = resolve(binary, app, env)
    assert bad.returncode == 2 and "config.yaml:2" in bad.stderr
    (app / "config" / "config.yaml").write_text("mysql:\n  host: x\n")
    unreachable = resolve(binary, app, dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:9"))
    assert unreachable.returncode == 2 and "could not be reached" in unreachable.stderr
