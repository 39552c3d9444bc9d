"""Runs moto's own tests against a fresh `coffer serve --dev` per test (scripts/moto_suite/run.sh): mock_aws becomes a no-op,
boto3 clients point at Coffer, and tests marked aws_verified run as if against AWS."""
import contextlib, functools, os, shutil, signal, socket, subprocess, tempfile, time, urllib.request
import pytest

os.environ["MOTO_TEST_ALLOW_AWS_REQUEST"] = "true"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import moto


class _NoMock(contextlib.ContextDecorator):
    def __init__(self, func=None, **kwargs):
        self.func = func
    def __enter__(self): return self
    def __exit__(self, *exc): return False
    def start(self, *a, **k): pass
    def stop(self, *a, **k): pass


def _mock_aws(func=None, **kwargs):
    if func is not None and (callable(func) or isinstance(func, type)):
        return func
    return _NoMock()


moto.mock_aws = _mock_aws

import boto3
import boto3.session

ENDPOINT = {"url": None}
_orig_client = boto3.session.Session.client
_orig_resource = boto3.session.Session.resource


def _client(self, *args, **kwargs):
    kwargs.setdefault("endpoint_url", ENDPOINT["url"])
    return _orig_client(self, *args, **kwargs)


def _resource(self, *args, **kwargs):
    kwargs.setdefault("endpoint_url", ENDPOINT["url"])
    return _orig_resource(self, *args, **kwargs)


boto3.session.Session.client = _client
boto3.session.Session.resource = _resource


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def coffer_server():
    binary = os.environ["COFFER_BIN"]
    data = tempfile.mkdtemp(prefix="moto-coffer-")
    port = _free_port()
    proc = subprocess.Popen([binary, "serve", "--dev", "--account-id", "123456789012", "--port", str(port), "--data-dir", data, "--log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(500):
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            break
        except Exception:
            time.sleep(0.01)
    ENDPOINT["url"] = url
    boto3.DEFAULT_SESSION = None
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(data, ignore_errors=True)
