"""The example application: seed 003's hierarchy with swift-configuration and Coffer's ParameterStoreProvider."""
import os
import subprocess
from pathlib import Path

from conftest import aws_env


def test_the_example_resolves_seed_003(binary, coffer, tmp_path):
    example = Path(binary).parent / "seed003-config"
    assert example.exists(), "swift build --build-tests builds the example"
    ssm = coffer.client("ssm")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/MYSQL/PASSWORD", Value="your-mysql-password", Type="SecureString")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/MYSQL/HOST", Value="mysql.staging", Type="String")
    app = tmp_path / "app"
    (app / "config").mkdir(parents=True)
    (app / ".env").write_text("USE_PARAMETER_STORE=true\nPARAMETER_STORE_PREFIX=/ELASMETRICS\nENV=STAGING\nLOCAL_DEV_MODE=false\n")
    (app / ".env.staging").write_text("MYSQL_USER=staging_user\nMYSQL_HOST=staging-host\n")
    (app / "config" / "config.json").write_text('{"mysql": {"port": "3306"}}')
    env = aws_env(tmp_path, coffer)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=coffer.endpoint)
    out = subprocess.run([str(example), "mysql.host", "mysql.user", "mysql.port", "mysql.password"], capture_output=True, text=True,
                         env=env, cwd=app, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["mysql.host = mysql.staging", "mysql.user = staging_user", "mysql.port = 3306", "mysql.password = ****"]
    (app / ".env").write_text("LOCAL_DEV_MODE=true\nUSE_PARAMETER_STORE=false\nMYSQL_HOST=localhost\n")
    local = subprocess.run([str(example), "mysql.host"], capture_output=True, text=True, env=dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:9"),
                           cwd=app, timeout=60)
    assert local.returncode == 0 and local.stdout.strip() == "mysql.host = staging-host"  # .env.staging over .env; no AWS call
