"""`coffer run -- CMD`: secrets and parameters in a real child's environment, never on its command line."""
import json
import os
import signal
import subprocess
import sys

from conftest import aws_env

CHILD = "import os, json, sys; print(json.dumps({k: v for k, v in os.environ.items() if k in sys.argv[1:]}))"


def run(binary, coffer, tmp_path, *args, env_extra=None):
    env = aws_env(tmp_path, coffer)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=coffer.endpoint)
    env.update(env_extra or {})
    return subprocess.run([binary, "run", *args], capture_output=True, text=True, env=env, timeout=60)


def seed(coffer):
    sm, ssm = coffer.client(), coffer.client("ssm")
    sm.create_secret(Name="clickhouse/dev", SecretString=json.dumps({"host": "ch.internal", "password": "pa55-w0rd", "port": 8443}))
    sm.create_secret(Name="plain-token", SecretString="tok-123")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/api/db-password", Value="from-ssm", Type="SecureString")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/api/log_level", Value="debug", Type="String")


def test_secrets_and_parameters_reach_the_child(binary, coffer, tmp_path):
    seed(coffer)
    out = run(binary, coffer, tmp_path, "--secret", "clickhouse/dev", "--secret", "CH_*=clickhouse/dev", "--secret", "API_TOKEN=plain-token",
              "--path", "/ELASMETRICS/STAGING", "--", sys.executable, "-c", CHILD,
              "HOST", "PASSWORD", "PORT", "CH_PASSWORD", "API_TOKEN", "DB_PASSWORD", "LOG_LEVEL", "COFFER_RUN")
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["HOST"] == "ch.internal" and seen["PASSWORD"] == "pa55-w0rd" and seen["PORT"] == "8443"
    assert seen["CH_PASSWORD"] == "pa55-w0rd" and seen["API_TOKEN"] == "tok-123"
    assert seen["DB_PASSWORD"] == "from-ssm" and seen["LOG_LEVEL"] == "debug"
    assert "secret:clickhouse/dev" in seen["COFFER_RUN"]
    assert "pa55-w0rd" not in out.stderr
    # Each value was read through the audited API.
    events = coffer.client("cloudtrail").lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetSecretValue"}])["Events"]
    assert len(events) == 3


def test_env_files_apply_first_and_the_store_wins(binary, coffer, tmp_path):
    seed(coffer)
    env_file = tmp_path / ".env.local"
    env_file.write_text('LOG_LEVEL=info\nFEATURE_FLAG="on"\n')
    out = run(binary, coffer, tmp_path, "--env-file", str(env_file), "--path", "/ELASMETRICS/STAGING", "--", sys.executable, "-c", CHILD,
              "LOG_LEVEL", "FEATURE_FLAG")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"LOG_LEVEL": "debug", "FEATURE_FLAG": "on"}
    assert "LOG_LEVEL from parameter /ELASMETRICS/STAGING/api/log_level replaces the one from" in out.stderr
    broken = tmp_path / "broken.env"
    broken.write_text("A=1\nnope\n")
    refused = run(binary, coffer, tmp_path, "--env-file", str(broken), "--", "true")
    assert refused.returncode == 2 and "broken.env:2" in refused.stderr


def test_exit_status_and_signals_are_the_commands(binary, coffer, tmp_path):
    seed(coffer)
    assert run(binary, coffer, tmp_path, "--secret", "API_TOKEN=plain-token", "--", sys.executable, "-c", "raise SystemExit(7)").returncode == 7
    killed = run(binary, coffer, tmp_path, "--secret", "API_TOKEN=plain-token", "--", sys.executable, "-c",
                 "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert killed.returncode == -signal.SIGTERM
    # execve: the command has coffer run's own PID.
    pid = run(binary, coffer, tmp_path, "--secret", "API_TOKEN=plain-token", "--", "sh", "-c", "echo $$ $PPID")
    assert pid.returncode == 0 and len(pid.stdout.split()) == 2


def test_conflicts_and_refusals_never_start_the_child(binary, coffer, tmp_path):
    seed(coffer)
    marker = tmp_path / "started"
    touch = ["--", sys.executable, "-c", f"open({str(marker)!r}, 'w').write('x')"]

    def refused(*args, env_extra=None, says):
        out = run(binary, coffer, tmp_path, *args, *touch, env_extra=env_extra)
        assert out.returncode == 2, out
        assert says in out.stderr, out.stderr
        assert not marker.exists()

    refused("--secret", "missing/secret", says="missing/secret")
    refused("--path", "/nothing/here", says="no parameters under /nothing/here")
    refused("--secret", "plain-token", says="not a JSON object")
    refused("--secret", "PATH=plain-token", says="PATH")
    refused("--secret", "AWS_SECRET_ACCESS_KEY=plain-token", says="--allow-aws")
    refused("--no-override", "--secret", "clickhouse/dev", env_extra={"HOST": "already"}, says="HOST is already set")
    refused("--secret", "API_TOKEN=plain-token", env_extra={"COFFER_RUN": "outer"}, says="already inside coffer run")
    # The default replaces an inherited variable, with a warning naming it and not its value.
    out = run(binary, coffer, tmp_path, "--secret", "clickhouse/dev", "--", sys.executable, "-c", CHILD, "HOST", env_extra={"HOST": "already"})
    assert json.loads(out.stdout)["HOST"] == "ch.internal"
    assert "HOST was already set" in out.stderr and "ch.internal" not in out.stderr
    kept = run(binary, coffer, tmp_path, "--preserve-env", "--secret", "clickhouse/dev", "--", sys.executable, "-c", CHILD, "HOST",
               env_extra={"HOST": "already"})
    assert json.loads(kept.stdout)["HOST"] == "already"


def test_unreachable_endpoint_and_missing_credentials(binary, coffer, tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE12", "AWS_SECRET_ACCESS_KEY": "x" * 40}
    out = subprocess.run([binary, "run", "--secret", "a", "--", "true"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2 and "could not be reached" in out.stderr
    bare = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ENDPOINT_URL": coffer.endpoint}
    out = subprocess.run([binary, "run", "--secret", "a", "--", "true"], capture_output=True, text=True, env=bare, timeout=60)
    assert out.returncode == 2 and "no AWS credentials found" in out.stderr and "credentials" in out.stderr


def test_credentials_from_a_process_and_from_the_container_endpoint(binary, coffer, tmp_path):
    """The SDKs' other credential sources: a profile's credential_process (aws-vault, 1Password and the like) and
    the container credentials endpoint (ECS, EKS Pod Identity) with its authorization token."""
    import http.server
    import threading
    seed(coffer)
    key, secret = coffer.root_credentials()
    helper = tmp_path / "creds helper.py"
    helper.write_text(f"import json; print(json.dumps({{'Version': 1, 'AccessKeyId': '{key}', 'SecretAccessKey': '{secret}'}}))\n")
    config = tmp_path / "process-config"
    config.write_text(f"[profile vault]\ncredential_process = {sys.executable} '{helper}'\nregion = us-east-1\n"
                      f"[profile broken]\ncredential_process = {sys.executable} -c 'import sys; sys.exit(3)'\n")
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ENDPOINT_URL": coffer.endpoint, "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    args = ["run", "--secret", "API_TOKEN=plain-token", "--", sys.executable, "-c", CHILD, "API_TOKEN"]
    out = subprocess.run([binary, *args], capture_output=True, text=True, env={**base, "AWS_PROFILE": "vault"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["API_TOKEN"] == "tok-123" and secret not in out.stderr
    out = subprocess.run([binary, *args], capture_output=True, text=True, env={**base, "AWS_PROFILE": "broken"}, timeout=60)
    assert out.returncode == 2 and "credential_process exited with status 3" in out.stderr

    seen = []

    class Endpoint(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            body = json.dumps({"AccessKeyId": key, "SecretAccessKey": secret, "Token": None,
                               "Expiration": "2099-01-01T00:00:00Z"}).encode()
            ok = self.headers.get("Authorization") == "pod-identity-token"
            self.send_response(200 if ok else 403)
            self.send_header("Content-Length", str(len(body) if ok else 0))
            self.end_headers()
            if ok:
                self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    token_file = tmp_path / "eks-pod-identity-token"
    token_file.write_text("pod-identity-token\n")
    container = {**base, "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.server_address[1]}/v1/credentials",
                 "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file)}
    try:
        out = subprocess.run([binary, *args], capture_output=True, text=True, env=container, timeout=60)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["API_TOKEN"] == "tok-123"
        assert seen == [("/v1/credentials", "pod-identity-token")]
        out = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60,
                             env={**container, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"})
        assert out.returncode == 2 and "HTTP 403" in out.stderr
        remote = {**container, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://203.0.113.7/creds"}
        out = subprocess.run([binary, *args], capture_output=True, text=True, env=remote, timeout=60)
        assert out.returncode == 2 and "must be https" in out.stderr
    finally:
        server.shutdown()


def test_watch_restarts_the_command_when_a_value_rotates(binary, coffer, tmp_path):
    """--watch: coffer stays beside the command, reads the values again each interval and restarts the command
    (restart signal, then SIGKILL after the grace) when one changed; signals it gets reach the command."""
    import time
    seed(coffer)
    log = tmp_path / "starts.log"
    child = ("import os, signal, sys, time\n"
             f"open({str(log)!r}, 'a').write(os.environ['API_TOKEN'] + '\\n')\n"
             "signal.signal(signal.SIGUSR1, lambda *a: sys.exit(7))\n"
             "time.sleep(120)\n")
    env = aws_env(tmp_path, coffer)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=coffer.endpoint)
    process = subprocess.Popen([binary, "run", "--watch", "1", "--restart-signal", "USR1", "--grace", "5", "--secret", "API_TOKEN=plain-token",
                                "--", sys.executable, "-c", child], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def lines(count):
        deadline = time.time() + 20
        while time.time() < deadline:
            found = log.read_text().split() if log.exists() else []
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} starts, saw {log.read_text() if log.exists() else 'none'}")

    try:
        assert lines(1) == ["tok-123"]
        time.sleep(2.5)
        assert lines(1) == ["tok-123"]  # nothing changed: no restart
        coffer.client().put_secret_value(SecretId="plain-token", SecretString="tok-456")
        assert lines(2) == ["tok-123", "tok-456"]
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
        # The child did not catch SIGTERM: it died of it, and coffer ends as it did.
        assert process.returncode == 128 + signal.SIGTERM, stderr
        assert "restarting" in stderr and "tok-456" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
