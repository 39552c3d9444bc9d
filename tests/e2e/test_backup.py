"""coffer backup beside a running server and coffer restore on another data directory with the root
key: consistent, sealed (no name or value readable in the file), refused when changed, cut short,
opened with another key, or restored over a database."""
import os
import shutil
import subprocess
import threading

from conftest import Coffer


def run(binary, *args, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    base.update(env or {})
    return subprocess.run([binary, *args], capture_output=True, text=True, env=base, timeout=120)


def test_backup_of_a_running_server_restores_elsewhere(binary, tmp_path, coffer):
    sm = coffer.client()
    for i in range(20):
        sm.create_secret(Name=f"backed/secret-{i}", SecretString=f"value-{i}-plain", Tags=[{"Key": "team", "Value": "payments"}])
    coffer.client("ssm").put_parameter(Name="/ELASMETRICS/STAGING/url", Value="https://example", Type="String")
    stop = threading.Event()

    def load():  # writes go on while the backup is taken
        writer = coffer.client()
        while not stop.is_set():
            writer.put_secret_value(SecretId="backed/secret-0", SecretString="during")
    thread = threading.Thread(target=load)
    thread.start()
    archive = tmp_path / "coffer.backup"
    try:
        out = run(binary, "backup", "--data-dir", str(coffer.data_dir), "--output", str(archive))
    finally:
        stop.set()
        thread.join()
    assert out.returncode == 0, out.stderr
    data = archive.read_bytes()
    assert data.startswith(b"COFFER-BACKUP-1\n") and oct(os.stat(archive).st_mode & 0o777) == "0o600"
    for clear in (b"backed/secret-3", b"payments", b"ELASMETRICS", b"value-3-plain"):
        assert clear not in data

    # Another machine: only the backup and the root key travel.
    key_file = tmp_path / "root.key"
    shutil.copy(coffer.data_dir / "root.key", key_file)
    restored = tmp_path / "restored"
    out = run(binary, "restore", "--input", str(archive), "--data-dir", str(restored), env={"COFFER_ROOT_KEY_FILE": str(key_file)})
    assert out.returncode == 0, out.stderr
    node = Coffer(binary, restored, env={"COFFER_ROOT_KEY_FILE": str(key_file)}).start()
    try:
        assert node.root_credentials() == coffer.root_credentials()
        copy = node.client()
        assert copy.get_secret_value(SecretId="backed/secret-7")["SecretString"] == "value-7-plain"
        assert copy.describe_secret(SecretId="backed/secret-7")["Tags"] == [{"Key": "team", "Value": "payments"}]
        assert node.client("ssm").get_parameter(Name="/ELASMETRICS/STAGING/url")["Parameter"]["Value"] == "https://example"
        assert len(copy.list_secrets(MaxResults=100)["SecretList"]) == 20
    finally:
        node.stop()
    out = run(binary, "audit", "verify", "--data-dir", str(restored), env={"COFFER_ROOT_KEY_FILE": str(key_file)})
    assert out.returncode == 0, out.stdout + out.stderr

    # Restoring over a database is refused; so are a changed file, a cut file and another root key.
    out = run(binary, "restore", "--input", str(archive), "--data-dir", str(restored), env={"COFFER_ROOT_KEY_FILE": str(key_file)})
    assert out.returncode != 0 and "exists" in out.stderr
    changed = tmp_path / "changed.backup"
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 1
    changed.write_bytes(bytes(flipped))
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: len(data) - 100])
    other_key = tmp_path / "other.key"
    other_key.write_bytes(os.urandom(32))
    for i, (file, key) in enumerate([(changed, key_file), (cut, key_file), (archive, other_key)]):
        target = tmp_path / f"bad{i}"
        out = run(binary, "restore", "--input", str(file), "--data-dir", str(target), env={"COFFER_ROOT_KEY_FILE": str(key), "X": "1"})
        assert out.returncode != 0 and ("cut short" in out.stderr or "does not open" in out.stderr or "damaged" in out.stderr), out.stderr
        assert not (target / "coffer.db").exists()
