"""HTTPS with a PEM certificate and key: the AWS CLI with --ca-bundle, TLS 1.2 at least, plain HTTP
refused, a renewed certificate served after SIGHUP without a restart, bad files refused at start."""
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest

from conftest import Coffer, aws_env


def make_cert(directory, name):
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def served_subject(port, cafile):
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return dict(x[0] for x in tls.getpeercert()["subject"])["commonName"]


@pytest.fixture
def tls_node(binary, tmp_path):
    cert, key = make_cert(tmp_path, "first")
    served_cert, served_key = tmp_path / "server.pem", tmp_path / "server-key.pem"
    served_cert.write_bytes(cert.read_bytes())
    served_key.write_bytes(key.read_bytes())
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(cert.read_bytes())
    node = Coffer(binary, tmp_path / "data", args=["--tls-cert", str(served_cert), "--tls-key", str(served_key)],
                  ca_bundle=str(bundle)).start()
    yield node, bundle, (served_cert, served_key)
    node.stop()


def test_the_aws_cli_works_over_https_with_a_ca_bundle(tls_node, tmp_path):
    node, bundle, _ = tls_node
    env = aws_env(tmp_path, node)
    base = ["aws", "--profile", "anomaly-detector-dev", "--endpoint-url", node.endpoint, "--ca-bundle", str(bundle)]
    out = subprocess.run(base + ["secretsmanager", "create-secret", "--name", "tls/db", "--secret-string", "s3cr3t"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(base + ["secretsmanager", "get-secret-value", "--secret-id", "tls/db", "--query", "SecretString", "--output", "text"],
                         capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "s3cr3t"
    # Without the bundle the self-signed certificate is not trusted: the client refuses, as it should.
    out = subprocess.run(base[:-2] + ["secretsmanager", "list-secrets"], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in out.stderr
    assert node.client().get_secret_value(SecretId="tls/db")["SecretString"] == "s3cr3t"


def test_coffer_run_over_https_trusts_the_aws_ca_bundle(binary, tls_node, tmp_path):
    """The client library's own HTTP client (not libcurl): the server is verified against
    AWS_CA_BUNDLE, as the AWS SDKs do, and refused without it."""
    node, bundle, _ = tls_node
    node.client().create_secret(Name="API_TOKEN", SecretString="over-tls")
    env = aws_env(tmp_path, node)
    env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=node.endpoint, AWS_CA_BUNDLE=str(bundle))
    child = [sys.executable, "-c", "import os; print(os.environ['API_TOKEN'])"]
    out = subprocess.run([binary, "run", "--secret", "API_TOKEN=API_TOKEN", "--", *child], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "over-tls", out.stderr
    del env["AWS_CA_BUNDLE"]
    out = subprocess.run([binary, "run", "--secret", "API_TOKEN=API_TOKEN", "--", *child], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2 and "over-tls" not in out.stdout + out.stderr and "could not be reached" in out.stderr


def test_tls_1_2_is_the_least_and_plain_http_is_refused(tls_node):
    node, bundle, _ = tls_node
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(str(bundle))
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        with socket.create_connection(("127.0.0.1", node.port), timeout=5) as raw:
            with old.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
    ok = ssl.create_default_context(cafile=str(bundle))
    ok.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", node.port), timeout=5) as raw:
        with ok.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() == "TLSv1.2"
    with socket.create_connection(("127.0.0.1", node.port), timeout=5) as raw:
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        raw.settimeout(5)
        try:
            answer = raw.recv(100)
        except (ConnectionResetError, socket.timeout):
            answer = b""
        assert b"200 OK" not in answer


def test_sighup_serves_a_renewed_certificate_without_a_restart(tls_node, tmp_path):
    node, bundle, (served_cert, served_key) = tls_node
    assert served_subject(node.port, str(bundle)) == "first"
    cert, key = make_cert(tmp_path, "second")
    bundle.write_bytes(bundle.read_bytes() + cert.read_bytes())
    served_cert.write_bytes(cert.read_bytes())
    served_key.write_bytes(key.read_bytes())
    pid = node.proc.pid
    node.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while served_subject(node.port, str(bundle)) != "second" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served_subject(node.port, str(bundle)) == "second" and node.proc.pid == pid and node.proc.poll() is None
    # A broken file on the next SIGHUP leaves the working certificate in place.
    served_key.write_text("not a key")
    node.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert served_subject(node.port, str(bundle)) == "second"
    assert "reloading the TLS certificate failed" in node.logs()


def test_bad_tls_files_stop_the_server(binary, tmp_path):
    cert, key = make_cert(tmp_path, "only")
    bad_key = tmp_path / "bad-key.pem"
    bad_key.write_text("-----BEGIN PRIVATE KEY-----\nnotbase64secretish\n-----END PRIVATE KEY-----\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    for args, message in [(["--tls-cert", str(cert), "--tls-key", str(bad_key)], "cannot read the TLS private key"),
                          (["--tls-cert", str(tmp_path / "none.pem"), "--tls-key", str(key)], "cannot read the TLS certificate"),
                          (["--tls-cert", str(cert)], "TLS needs both a certificate and a key")]:
        out = subprocess.run([binary, "serve", "--port", "0", "--data-dir", str(tmp_path / "d"), *args], capture_output=True, text=True,
                             env=env, timeout=30)
        assert out.returncode != 0 and message in out.stderr, out.stderr
        assert "notbase64secretish" not in out.stderr
