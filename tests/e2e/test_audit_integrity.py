"""Tamper evidence, crash safety, service events and alerts of the audit trail."""
import http.server
import json
import shutil
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import Coffer, fails, kill9_under_load


def verify(coffer, data_dir=None, *extra):
    """`coffer audit verify --json`: (exit code, report)."""
    run = subprocess.run([coffer.binary, "audit", "verify", "--json", "--data-dir", str(data_dir or coffer.data_dir), *extra],
                         capture_output=True, text=True)
    return run.returncode, json.loads(run.stdout)


def records(db_path):
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT sequence, time, record, hash FROM audit_records ORDER BY sequence").fetchall()


@pytest.fixture
def stopped_trail(coffer, tmp_path):
    """A trail of a few dozen calls, closed by the digest written at shutdown."""
    sm = coffer.client()
    for i in range(6):
        sm.create_secret(Name=f"t/{i}", SecretString=f"v{i}")
        sm.get_secret_value(SecretId=f"t/{i}")
        sm.describe_secret(SecretId=f"t/{i}")
    assert coffer.stop() == 0
    return coffer


def tampered_copy(coffer, tmp_path, name, *statements):
    copy = tmp_path / name
    shutil.copytree(coffer.data_dir, copy)
    with sqlite3.connect(copy / "coffer.db") as db:
        for statement, params in statements:
            db.execute(statement, params)
    return copy


def test_an_untouched_trail_verifies(stopped_trail):
    # 18 calls, and the AWS-managed key Secrets Manager made on first use (CreateKey, CreateAlias).
    assert len(records(stopped_trail.data_dir / "coffer.db")) == 20
    code, report = verify(stopped_trail)
    assert code == 0 and report["intact"] is True and report["recordsChecked"] == 20 and report["digests"] == 1
    out = subprocess.run([stopped_trail.binary, "audit", "verify", "--data-dir", str(stopped_trail.data_dir)], capture_output=True, text=True)
    assert out.returncode == 0 and "verified: 20 records" in out.stdout


@pytest.mark.parametrize("name,statements,problem,position", [
    ("changed", [("UPDATE audit_records SET record = replace(record, 'DescribeSecret', 'ListSecrets') WHERE sequence = 6", ())], "changed", 6),
    ("deleted", [("DELETE FROM audit_records WHERE sequence = 9", ())], "deleted", 9),
    # Rows keep their sequence numbers; the contents of two of them trade places.
    ("reordered", [("UPDATE audit_records SET sequence = -4 WHERE sequence = 4", ()),
                   ("UPDATE audit_records SET sequence = 4 WHERE sequence = 5", ()),
                   ("UPDATE audit_records SET sequence = 5 WHERE sequence = -4", ())], "reordered", 4),
    # A forged row slipped in, the rows after it renumbered to make room.
    ("inserted", [("UPDATE audit_records SET sequence = -sequence WHERE sequence >= 7", ()),
                  ("UPDATE audit_records SET sequence = 1 - sequence WHERE sequence < 0", ()),
                  ("INSERT INTO audit_records(sequence, time, record, hash) SELECT 7, time, replace(record, 'GetSecretValue', 'ListSecrets'), hash FROM audit_records WHERE sequence = 8", ())],
     "inserted", 7),
    ("truncated", [("DELETE FROM audit_records WHERE sequence > 15", ())], "truncated", 16),
])
def test_tampering_is_found_with_its_position(stopped_trail, tmp_path, name, statements, problem, position):
    copy = tampered_copy(stopped_trail, tmp_path, name, *statements)
    code, report = verify(stopped_trail, copy)
    assert code == 1 and report["intact"] is False
    assert (report["problem"], report["position"]) == (problem, position), report
    out = subprocess.run([stopped_trail.binary, "audit", "verify", "--data-dir", str(copy)], capture_output=True, text=True)
    assert out.returncode == 1 and f"at record {position}" in out.stdout


def test_a_rewritten_chain_without_the_root_key_and_digests_is_found(stopped_trail, tmp_path):
    # Someone with the database recomputes SHA-256 hashes over an edited history and drops the digests.
    import hashlib
    copy = tampered_copy(stopped_trail, tmp_path, "rewritten", ("DELETE FROM audit_digests", ()))
    with sqlite3.connect(copy / "coffer.db") as db:
        previous = bytes(32)
        for sequence, _, record, _ in records(copy / "coffer.db"):
            record = record.replace(b"GetSecretValue", b"ListSecrets")
            digest = hashlib.sha256(previous + sequence.to_bytes(8, "big") + record).digest()
            db.execute("UPDATE audit_records SET record = ?, hash = ? WHERE sequence = ?", (record, digest, sequence))
            previous = digest
    code, report = verify(stopped_trail, copy)
    assert code == 1 and (report["problem"], report["position"]) == ("changed", 1)


def test_verify_over_a_time_range(stopped_trail):
    rows = records(stopped_trail.data_dir / "coffer.db")
    middle = rows[len(rows) // 2][1]
    code, report = verify(stopped_trail, None, "--from", str(middle))
    assert code == 0 and 0 < report["recordsChecked"] < len(rows)
    code, report = verify(stopped_trail, None, "--from", "2100-01-01T00:00:00Z")
    assert code == 0 and report["recordsChecked"] == 0


def test_concurrent_reads_are_chained_whole_and_in_order(coffer):
    # Reads stage their records; the writer chains a batch of them in slices of a few records, yielding
    # between slices. Every read must land in the chain once, the chain intact.
    sm = coffer.client()
    sm.create_secret(Name="busy", SecretString="v")
    request_ids = []

    def reader():
        client = coffer.client()
        for _ in range(40):
            request_ids.append(client.get_secret_value(SecretId="busy")["ResponseMetadata"]["RequestId"])

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert coffer.stop() == 0
    code, report = verify(coffer)
    assert code == 0 and report["intact"] is True, report
    exported = subprocess.run([coffer.binary, "audit", "export", "--data-dir", str(coffer.data_dir)], capture_output=True, check=True)
    reads = [r["requestID"] for r in json.loads(exported.stdout)["Records"] if r["eventName"] == "GetSecretValue"]
    assert sorted(reads) == sorted(request_ids) and len(reads) == 320


def test_kill9_under_write_load_keeps_every_acknowledged_record(coffer):
    sm = coffer.client()
    sm.create_secret(Name="load", SecretString="0")
    acknowledged = []

    def writer(worker, stop):
        client = coffer.client()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                response = client.put_secret_value(SecretId="load", SecretString=f"{worker}-{n}")
                acknowledged.append(response["ResponseMetadata"]["RequestId"])
                client.get_secret_value(SecretId="load")
            except Exception:
                return

    kill9_under_load(coffer, writer, seconds=3)
    assert len(acknowledged) > 20
    coffer.start()
    code, report = verify(coffer)
    assert code == 0, report
    exported = subprocess.run([coffer.binary, "audit", "export", "--data-dir", str(coffer.data_dir)], capture_output=True, check=True)
    put_ids = {r["requestID"] for r in json.loads(exported.stdout)["Records"] if r["eventName"] == "PutSecretValue" and "errorCode" not in r}
    missing = [rid for rid in acknowledged if rid not in put_ids]
    assert not missing, f"{len(missing)} acknowledged writes have no record"
    # The changes themselves survived with their records.
    assert coffer.client().get_secret_value(SecretId="load")["SecretString"] != "0"


def test_background_work_is_recorded_as_service_events(binary, tmp_path):
    data = tmp_path / "data"
    node = Coffer(binary, data).start()
    kms = node.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    sm = node.client()
    sm.create_secret(Name="gone", SecretString="x")
    sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    node.stop()
    config = tmp_path / "coffer.json"
    config.write_text(json.dumps({"purgeIntervalSeconds": 0.2}))
    later = Coffer(binary, data, env={"COFFER_UNSAFE_CLOCK_OFFSET_SECONDS": str(8 * 86400)}, args=["--config", str(config)]).start()
    try:
        # Clients sign with today's clock, which this server (eight days on) refuses: read the trail from the file.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            exported = subprocess.run([binary, "audit", "export", "--data-dir", str(data)], capture_output=True, check=True)
            names = {r["eventName"]: r for r in json.loads(exported.stdout)["Records"]}
            if "DeleteKey" in names and "EndSecretDeletion" in names:
                break
            time.sleep(0.2)
        record = names["DeleteKey"]
        assert record["eventType"] == "AwsServiceEvent" and record["eventSource"] == "kms.amazonaws.com"
        assert record["userIdentity"]["invokedBy"] == "kms.amazonaws.com" and record["resources"][0]["ARN"].endswith(key)
        assert names["EndSecretDeletion"]["eventSource"] == "secretsmanager.amazonaws.com"
        assert names["EndSecretDeletion"]["resources"][0]["type"] == "AWS::SecretsManager::Secret"
        # The AWS-managed key Secrets Manager made on first use was recorded as KMS's doing.
        created = [r for r in json.loads(exported.stdout)["Records"] if r["eventName"] == "CreateKey"]
        assert [r["userIdentity"]["type"] for r in created] == ["Root", "AWSService"]
        assert created[1]["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"
    finally:
        later.stop()
    assert verify(later)[0] == 0


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook that fails its first delivery, then takes everything."""
    received: list = []
    failures_left = 1

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.received.append(body)
        status = 500 if Receiver.failures_left > 0 else 200
        Receiver.failures_left -= 1
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_alerts_reach_a_webhook_with_retries(binary, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Receiver.received, Receiver.failures_left = [], 1
    config = tmp_path / "coffer.json"
    config.write_text(json.dumps({
        "audit": {"digestIntervalSeconds": 0.5},
        "alerts": {"webhooks": [f"http://127.0.0.1:{server.server_port}/hook", "http://127.0.0.1:9/dead"],
                   "denialThreshold": 2, "denialWindowSeconds": 60, "retryBaseSeconds": 0.1, "maxAttempts": 3}}))
    node = Coffer(binary, tmp_path / "data", args=["--config", str(config)]).start()
    try:
        iam = node.client("iam")
        iam.create_user(UserName="eve")
        key = iam.create_access_key(UserName="eve")["AccessKey"]
        eve = node.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
        started = time.monotonic()
        for _ in range(3):
            fails(lambda: eve.list_secrets(), "AccessDeniedException")
        # A dead webhook never holds up requests.
        assert time.monotonic() - started < 5

        def wait_for(kind):
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                found = [b for b in Receiver.received if b.get("alert") == kind]
                if found:
                    return found
                time.sleep(0.1)
            raise AssertionError(f"no {kind} alert in {Receiver.received}")

        root = wait_for("root-account-usage")
        assert "root" in root[0]["text"]
        denied = wait_for("unauthorized-api-calls")
        assert denied[0]["details"]["principal"].endswith(":user/eve") and "eve" in denied[0]["text"]
        # The first delivery failed with 500 and was tried again.
        assert len([b for b in Receiver.received if b.get("alert") == "root-account-usage"]) >= 2
        # A break in the chain is found by the server's own periodic check.
        with sqlite3.connect(node.data_dir / "coffer.db") as db:
            db.execute("UPDATE audit_records SET record = replace(record, 'ListSecrets', 'ListSecretz') WHERE sequence = "
                       "(SELECT min(sequence) FROM audit_records WHERE instr(record, 'ListSecrets') > 0)")
        broke = wait_for("audit-verification-failed")
        assert broke[0]["details"]["problem"] == "changed"
    finally:
        node.stop()
        server.shutdown()
