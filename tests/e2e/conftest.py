"""End-to-end fixtures: the real `coffer serve` on a free loopback port, driven by the real aws CLI and boto3."""
import configparser
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def coffer_binary() -> str:
    explicit = os.environ.get("COFFER_BIN")
    if explicit:
        return explicit
    subprocess.run(["swift", "build", "--product", "coffer"], cwd=REPO, check=True)
    return str(REPO / ".build" / "debug" / "coffer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Coffer:
    """One `coffer serve` process; restartable on the same data directory."""

    def __init__(self, binary: str, data_dir: Path, dev: bool = False, env: dict | None = None, args: list | None = None,
                 ca_bundle: str | None = None):
        self.binary = binary
        # With a CA bundle the server speaks HTTPS (its certificate signed by, or being, that bundle).
        self.ca_bundle = ca_bundle
        self.data_dir = data_dir
        self.dev = dev
        self.extra_env = env or {}
        self.args = args or []
        self.port = free_port()
        self.proc = None
        self.log_path = data_dir.parent / f"{data_dir.name}-serve.log"

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.ca_bundle else 'http'}://127.0.0.1:{self.port}"

    def start(self):
        cmd = [self.binary, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir), *self.args]
        if self.dev:
            cmd.append("--dev")
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
        env.update(self.extra_env)
        log = open(self.log_path, "ab")
        started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        while time.monotonic() - started < 30:
            if self.proc.poll() is not None:
                raise RuntimeError(f"coffer exited with {self.proc.returncode}: {self.log_path.read_text()}")
            try:
                context = ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle else None
                with urllib.request.urlopen(self.endpoint + "/health", timeout=1, context=context) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("coffer did not become healthy")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def restart(self):
        self.stop()
        return self.start()

    def root_credentials(self) -> tuple[str, str]:
        parser = configparser.ConfigParser()
        parser.read(self.data_dir / "root-credentials")
        return parser["default"]["aws_access_key_id"], parser["default"]["aws_secret_access_key"]

    def client(self, service: str = "secretsmanager", region: str = REGION, access_key=None, secret_key=None, config=None):
        key, secret = (access_key, secret_key) if access_key else self.root_credentials()
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region, config=config,
                            aws_access_key_id=key, aws_secret_access_key=secret, verify=self.ca_bundle or True)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def binary():
    return coffer_binary()


@pytest.fixture
def coffer(binary, tmp_path):
    node = Coffer(binary, tmp_path / "data").start()
    yield node
    node.stop()


@pytest.fixture
def dev_coffer(binary, tmp_path):
    node = Coffer(binary, tmp_path / "dev", dev=True).start()
    yield node
    node.stop()


@pytest.fixture
def sm(coffer):
    return coffer.client()


def aws_env(tmp_path: Path, coffer: Coffer, profile: str = "anomaly-detector-dev") -> dict:
    """An environment where `aws --profile PROFILE` holds the root credentials, as `aws configure` would leave it."""
    key, secret = coffer.root_credentials()
    creds = tmp_path / "aws-credentials"
    config = tmp_path / "aws-config"
    creds.write_text(f"[{profile}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
    config.write_text(f"[profile {profile}]\nregion = {REGION}\noutput = json\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(config))
    return env


def file_contents(directory: Path):
    """(path, bytes) of every file under a data directory. A running server removes an audit staging
    file once its records are chained, so a file listed a moment ago may be gone when it is read."""
    for path in directory.rglob("*"):
        try:
            if path.is_file():
                yield path, path.read_bytes()
        except FileNotFoundError:
            continue


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def fails(call, code, message_part=None):
    """Calls `call`, expects AWS's error `code` (and `message_part` in its message), returns the message."""
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    assert error["Code"] == code, error
    if message_part is not None:
        assert message_part in error["Message"], error
    # AWS sends a few errors with no message at all (IAM's ReportNotPresent): None then.
    return error.get("Message")


def kill9_under_load(node, writer, seconds, workers=4):
    """Runs `writer(worker, stop)` on `workers` threads, kills the server with SIGKILL after `seconds`,
    then stops and joins the writers (whose calls fail once the server is gone)."""
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(w, stop)) for w in range(workers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    node.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
