"""Acknowledged writes survive kill -9; secret values never sit in the clear on disk or in logs."""
import threading

from conftest import Coffer, file_contents, kill9_under_load


def test_every_acknowledged_write_survives_kill_9(binary, tmp_path):
    node = Coffer(binary, tmp_path / "crash").start()
    sm = node.client()
    acknowledged = {}
    lock = threading.Lock()

    def writer(w, stop):
        client = node.client()
        i = 0
        while not stop.is_set():
            i += 1
            name, value = f"load/{w}/{i}", f"value-{w}-{i}"
            try:
                client.create_secret(Name=name, SecretString=value)
                version = client.put_secret_value(SecretId=name, SecretString=value + "-b")["VersionId"]
            except Exception:
                return  # the server died mid-request: this write was never acknowledged
            with lock:
                acknowledged[name] = (version, value + "-b")

    kill9_under_load(node, writer, seconds=2.0)
    assert len(acknowledged) > 20, "the load did not get going"

    node.start()
    sm = node.client()
    for name, (version, value) in acknowledged.items():
        got = sm.get_secret_value(SecretId=name)
        assert (got["VersionId"], got["SecretString"]) == (version, value)
    node.stop()


def test_canary_is_never_in_the_clear(binary, tmp_path):
    canary = "CANARY-8f14e45fceea167a5a36dedd4bea2543"
    node = Coffer(binary, tmp_path / "canary", args=["--log-level", "trace"]).start()
    sm = node.client()
    sm.create_secret(Name="canary/string", SecretString=canary, Description="holds the canary")
    sm.create_secret(Name="canary/binary", SecretBinary=canary.encode())
    sm.put_secret_value(SecretId="canary/string", SecretString=canary + "-v2")
    sm.update_secret(SecretId="canary/string", SecretString=canary + "-v3")
    assert sm.get_secret_value(SecretId="canary/string")["SecretString"] == canary + "-v3"
    assert sm.get_secret_value(SecretId="canary/binary")["SecretBinary"] == canary.encode()
    sm.batch_get_secret_value(SecretIdList=["canary/string", "canary/binary"])
    ssm = node.client("ssm")
    ssm.put_parameter(Name="/canary/secure", Value=canary + "-ssm", Type="SecureString")
    ssm.put_parameter(Name="/canary/plain", Value=canary + "-plain", Type="String")
    assert ssm.get_parameter(Name="/canary/secure", WithDecryption=True)["Parameter"]["Value"] == canary + "-ssm"
    assert ssm.get_parameters_by_path(Path="/canary", WithDecryption=True)["Parameters"]
    kms = node.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=(canary + "-kms").encode())["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == (canary + "-kms").encode()
    # A failed request that carried the canary must not echo it either.
    try:
        sm.put_secret_value(SecretId="canary/string", SecretString=canary * 2000)
    except Exception as error:
        assert canary not in str(error)
    files = list((tmp_path / "canary").iterdir())
    assert any(f.name.endswith("-wal") for f in files), "the WAL should exist while the server runs"
    needle = canary.encode()
    scanned = dict(file_contents(tmp_path / "canary"))
    assert {"coffer.db", "coffer.db-wal"} <= {f.name for f in scanned}
    for f, data in scanned.items():
        assert needle not in data, f"canary found in {f.name}"
    node.stop()
    for f in (tmp_path / "canary").iterdir():
        assert needle not in f.read_bytes(), f"canary found in {f.name} after shutdown"
    assert canary not in node.logs()
    key, secret = node.root_credentials()
    assert secret not in node.logs()
    assert "request" in node.logs(), "trace logging should have recorded the requests"


def test_graceful_shutdown_and_restart_keep_the_account(binary, tmp_path):
    node = Coffer(binary, tmp_path / "restart").start()
    arn = node.client().create_secret(Name="kept", SecretString="v")["ARN"]
    key = node.root_credentials()
    assert node.stop() == 0
    node.start()
    assert node.root_credentials() == key
    assert node.client().describe_secret(SecretId="kept")["ARN"] == arn
    node.stop()


def test_explicit_root_credentials_and_account(binary, tmp_path):
    env = {"COFFER_ROOT_ACCESS_KEY_ID": "AKIACIEXPLICIT000001", "COFFER_ROOT_SECRET_ACCESS_KEY": "ci-secret-key-0123456789"}
    node = Coffer(binary, tmp_path / "explicit", env=env, args=["--account-id", "111122223333"]).start()
    sm = node.client(access_key="AKIACIEXPLICIT000001", secret_key="ci-secret-key-0123456789")
    assert ":111122223333:" in sm.create_secret(Name="x", SecretString="v")["ARN"]
    node.stop()
