"""Several `coffer serve` nodes on one real PostgreSQL server (SCRAM password, TLS): every node
serves every call, writes made through one are read through another, IAM changes reach the others
within the documented bound, background work runs once, the audit trail stays one verifiable chain,
a node killed under load loses no acknowledged write, and the database restarting makes calls fail
with AWS's errors and recover by themselves."""
import base64
import json
import os
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError, ConnectionClosedError

from conftest import Coffer, fails, kill9_under_load
from postgres_server import as_postgres, pg_bin, postgres  # noqa: F401 (fixture)

ROOT_KEY = base64.b64encode(os.urandom(32)).decode()


def database(pg):
    name = "coffer_" + uuid.uuid4().hex[:12]
    assert pg.psql(f"CREATE DATABASE {name}").returncode == 0
    return name, f"postgres://postgres:{pg.superuser_password}@127.0.0.1:{pg.port}/{name}?sslmode=require"


def node(binary, tmp_path, url, name, env=None, args=None):
    return Coffer(binary, tmp_path / name, env={"COFFER_ROOT_KEY": ROOT_KEY, **(env or {})},
                  args=["--database", url, *(args or [])])


@pytest.fixture
def cluster(binary, tmp_path, postgres):
    name, url = database(postgres)
    nodes = [node(binary, tmp_path, url, f"node{i}").start() for i in range(2)]
    yield nodes, url, name
    for n in nodes:
        n.stop()


def audit(binary, tmp_path, url, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
    env["COFFER_ROOT_KEY"] = ROOT_KEY
    return subprocess.run([binary, "audit", *args, "--database", url, "--data-dir", str(tmp_path / "node0")],
                          capture_output=True, text=True, env=env)


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_every_node_serves_what_another_wrote(cluster):
    (a, b), _, _ = cluster
    assert a.root_credentials() == b.root_credentials()
    sm_a, sm_b = a.client(), b.client()
    arn = sm_a.create_secret(Name="shared/db", SecretString="one")["ARN"]
    assert sm_b.get_secret_value(SecretId="shared/db")["SecretString"] == "one"
    # The value cached on b is replaced at once when a changes it: b's cache drops it on a's notice.
    for i in range(20):
        sm_a.put_secret_value(SecretId=arn, SecretString=f"v{i}")
        assert wait_for(lambda: sm_b.get_secret_value(SecretId=arn)["SecretString"] == f"v{i}", 2)
    ssm_a, ssm_b = a.client("ssm"), b.client("ssm")
    ssm_a.put_parameter(Name="/ELASMETRICS/STAGING/db", Value="s3cr3t", Type="SecureString")
    assert ssm_b.get_parameter(Name="/ELASMETRICS/STAGING/db", WithDecryption=True)["Parameter"]["Value"] == "s3cr3t"
    key = b.client("kms").create_key()["KeyMetadata"]["KeyId"]
    blob = a.client("kms").encrypt(KeyId=key, Plaintext=b"hello")["CiphertextBlob"]
    assert b.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
    sm_b.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert wait_for(lambda: _missing(sm_a, arn), 2)
    # Each node says whether it hears the others (its caches answer only while it does).
    for n in (a, b):
        metrics = urllib.request.urlopen(n.endpoint + "/metrics", timeout=5).read().decode()
        assert "\ncoffer_change_listener_up 1" in metrics


def _missing(sm, arn):
    try:
        sm.describe_secret(SecretId=arn)
        return False
    except ClientError as e:
        return e.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_iam_change_on_one_node_is_enforced_by_the_other(cluster):
    (a, b), _, _ = cluster
    iam = a.client("iam")
    iam.create_user(UserName="app")
    creds = iam.create_access_key(UserName="app")["AccessKey"]
    user_b = b.client(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    a.client().create_secret(Name="app/key", SecretString="v")
    fails(lambda: user_b.get_secret_value(SecretId="app/key"), "AccessDeniedException")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    started = time.monotonic()
    iam.put_user_policy(UserName="app", PolicyName="read", PolicyDocument=json.dumps(policy))
    assert wait_for(lambda: _allowed(user_b), 1), "the grant did not reach the other node within a second"
    granted = time.monotonic() - started
    iam.delete_user_policy(UserName="app", PolicyName="read")
    assert wait_for(lambda: not _allowed(user_b), 1)
    # A deactivated key stops working on the other node too.
    iam.put_user_policy(UserName="app", PolicyName="read", PolicyDocument=json.dumps(policy))
    assert wait_for(lambda: _allowed(user_b), 1)
    iam.update_access_key(UserName="app", AccessKeyId=creds["AccessKeyId"], Status="Inactive")
    assert wait_for(lambda: not _allowed(user_b, denied="UnrecognizedClientException"), 1)
    print(f"grant visible on the other node after {granted * 1000:.0f} ms")


def _allowed(sm, denied="AccessDeniedException"):
    try:
        sm.get_secret_value(SecretId="app/key")
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] in (denied, "AccessDeniedException"), e.response
        return False


def test_concurrent_writes_through_both_nodes_lose_nothing(cluster):
    (a, b), _, _ = cluster
    clients = [a.client(), b.client()]
    clients[0].create_secret(Name="hot", SecretString="0")
    token = str(uuid.uuid4())
    results, errors = [], []

    def put(i, value, token=None):
        try:
            args = {"SecretId": "hot", "SecretString": value}
            if token:
                args["ClientRequestToken"] = token
            results.append(clients[i % 2].put_secret_value(**args)["VersionId"])
        except ClientError as e:
            errors.append(e.response["Error"]["Code"])

    # The same token through both nodes at once: one version, every call answered with it.
    threads = [threading.Thread(target=put, args=(i, "same", token)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and set(results) == {token}
    # The same token with another value is refused, on either node.
    fails(lambda: clients[1].put_secret_value(SecretId="hot", SecretString="other", ClientRequestToken=token), "ResourceExistsException")
    # Different tokens through both nodes: every acknowledged version is kept, one is current.
    results.clear()
    threads = [threading.Thread(target=put, args=(i, f"value {i}")) for i in range(24)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and len(set(results)) == 24
    versions = clients[1].list_secret_version_ids(SecretId="hot", IncludeDeprecated=True, MaxResults=100)["Versions"]
    assert set(results) <= {v["VersionId"] for v in versions}
    current = [v for v in versions if "AWSCURRENT" in v.get("VersionStages", [])]
    previous = [v for v in versions if "AWSPREVIOUS" in v.get("VersionStages", [])]
    assert len(current) == 1 and len(previous) == 1
    # Each acknowledged version is readable by its id through the other node, unless it was retired
    # as AWS retires versions without a label past the limit (none here: fewer than 100).
    for version in results:
        clients[0].get_secret_value(SecretId="hot", VersionId=version)


def test_background_work_runs_once(binary, tmp_path, postgres):
    _, url = database(postgres)
    first = node(binary, tmp_path, url, "first").start()
    sm = first.client()
    for i in range(3):
        sm.create_secret(Name=f"gone{i}", SecretString="x")
        sm.delete_secret(SecretId=f"gone{i}", RecoveryWindowInDays=7)
    first.stop()
    config = tmp_path / "fast.json"
    config.write_text(json.dumps({"purgeIntervalSeconds": 0.2, "audit": {"digestIntervalSeconds": 0.3}}))
    later = {"COFFER_UNSAFE_CLOCK_OFFSET_SECONDS": str(8 * 86400)}
    nodes = [node(binary, tmp_path, url, f"later{i}", env=later, args=["--config", str(config)]).start() for i in range(3)]
    try:
        def ended():
            out = audit(binary, tmp_path, url, "export")
            return [r for r in json.loads(out.stdout)["Records"] if r["eventName"] == "EndSecretDeletion"]
        assert wait_for(lambda: len(ended()) >= 3, 20)
        time.sleep(1.5)  # more sweeps on every node: none may remove (and record) a secret twice
        removed = ended()
        assert sorted(r["resources"][0]["ARN"].split(":")[-1][:5] for r in removed) == ["gone0", "gone1", "gone2"]
    finally:
        for n in nodes:
            n.stop()
    # Digests written by whichever node held the upkeep lock: one chain of them, and it verifies.
    out = audit(binary, tmp_path, url, "verify")
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_node_killed_under_load_loses_no_acknowledged_write(cluster, binary, tmp_path):
    (a, b), url, _ = cluster
    for w in range(4):
        a.client().create_secret(Name=f"load{w}", SecretString="0")
    acknowledged = {}

    def writer(worker, stop):
        sm = a.client()
        sm.meta.config.retries = {"max_attempts": 0}
        i = 0
        while not stop.is_set():
            i += 1
            try:
                version = sm.put_secret_value(SecretId=f"load{worker}", SecretString=f"{worker}:{i}")["VersionId"]
                acknowledged[version] = (worker, f"{worker}:{i}")
            except Exception:
                return

    kill9_under_load(a, writer, 2.0)
    assert len(acknowledged) > 20
    sm_b = b.client()
    for worker in range(4):
        mine = [(version, value) for version, (w, value) in acknowledged.items() if w == worker]
        if not mine:
            continue
        # AWS keeps 100 versions and retires the oldest unlabeled ones: the last 50 acknowledged must all be there.
        for version, value in mine[-50:]:
            assert sm_b.get_secret_value(SecretId=f"load{worker}", VersionId=version)["SecretString"] == value
        # The current value is the last acknowledged one or a later write (one that was in flight when the node died).
        current = int(sm_b.get_secret_value(SecretId=f"load{worker}")["SecretString"].split(":")[1])
        assert current >= int(mine[-1][1].split(":")[1])
    # The survivor goes on serving and chaining; the trail verifies with every node's records in one chain.
    sm_b.create_secret(Name="after", SecretString="x")
    b.stop()
    out = audit(binary, tmp_path, url, "verify")
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_database_restarting_fails_calls_then_recovers(cluster, postgres):
    (a, b), _, _ = cluster
    fast = Config(retries={"total_max_attempts": 1}, read_timeout=60, connect_timeout=5)
    key, secret = a.root_credentials()
    import boto3
    sm = boto3.client("secretsmanager", endpoint_url=a.endpoint, region_name="us-east-1", aws_access_key_id=key,
                      aws_secret_access_key=secret, config=fast)
    sm.create_secret(Name="kept", SecretString="before")
    as_postgres([pg_bin("pg_ctl"), "-D", postgres.data, "-m", "fast", "stop"])
    try:
        outcomes = []
        for _ in range(3):
            started = time.monotonic()
            try:
                sm.put_secret_value(SecretId="kept", SecretString="during")
                outcomes.append(("ok", time.monotonic() - started))
            except ClientError as e:
                outcomes.append((e.response["Error"]["Code"], time.monotonic() - started,
                                 e.response["ResponseMetadata"]["HTTPStatusCode"]))
        # No call hangs, and each fails with Secrets Manager's own error for a failure on its side.
        assert all(o[0] == "InternalServiceError" and o[2] == 500 and o[1] < 12 for o in outcomes), outcomes
    finally:
        as_postgres([pg_bin("pg_ctl"), "-D", postgres.data, "-l", os.path.join(postgres.dir, "log"), "-w", "start"])
    # Both nodes come back by themselves, and nothing acknowledged before was lost.
    def works(node):
        try:
            return node.client().get_secret_value(SecretId="kept")["SecretString"] == "before"
        except ClientError:
            return False
    assert wait_for(lambda: works(a) and works(b), 30)
    a.client().put_secret_value(SecretId="kept", SecretString="after")
    assert wait_for(lambda: b.client().get_secret_value(SecretId="kept")["SecretString"] == "after", 5)


def test_bad_databases_stop_the_node_with_a_clear_message(binary, tmp_path, postgres):
    name, url = database(postgres)
    def start(database_url, key=ROOT_KEY):
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
        env["COFFER_ROOT_KEY"] = key
        return subprocess.run([binary, "serve", "--port", "0", "--data-dir", str(tmp_path / "bad"), "--database", database_url],
                              capture_output=True, text=True, env=env, timeout=60)
    wrong = url.replace(postgres.superuser_password, "not-the-password")
    out = start(wrong)
    assert out.returncode != 0 and "password authentication failed" in out.stderr and "not-the-password" not in out.stderr + out.stdout
    out = start(f"postgres://postgres:pw@127.0.0.1:1/{name}")
    assert out.returncode != 0 and "cannot use the database at postgres://postgres@127.0.0.1:1/" in out.stderr
    out = start("mysql://root@localhost/x")
    assert out.returncode != 0 and "postgres://" in out.stderr
    # A schema newer than this Coffer knows is refused, not half-used.
    first = node(binary, tmp_path, url, "made").start()
    first.stop()
    assert postgres.psql("INSERT INTO coffer_schema(version) VALUES (999)", database=name).returncode == 0
    out = start(url)
    assert out.returncode != 0 and "newer than this Coffer" in out.stderr
    assert postgres.psql("DELETE FROM coffer_schema WHERE version = 999", database=name).returncode == 0
    # Another root key than the one the database was made with.
    out = start(url, key=base64.b64encode(os.urandom(32)).decode())
    assert out.returncode != 0 and "root key does not open this database" in out.stderr


def test_stage_moves_racing_on_two_nodes_leave_each_label_on_one_version(cluster):
    (a, b), _, _ = cluster
    clients = [a.client(), b.client()]
    clients[0].create_secret(Name="staged", SecretString="v0")
    versions = [clients[0].put_secret_value(SecretId="staged", SecretString=f"v{i}", VersionStages=["blue"] if i == 1 else ["AWSCURRENT"])["VersionId"]
                for i in range(1, 5)]
    outcomes = []

    def move(i):
        sm = clients[i % 2]
        for round in range(5):
            try:
                stages = {v["VersionId"]: v.get("VersionStages", []) for v in sm.list_secret_version_ids(SecretId="staged")["Versions"]}
                holder = next(v for v, s in stages.items() if "blue" in s)
                sm.update_secret_version_stage(SecretId="staged", VersionStage="blue", MoveToVersionId=versions[(i + round) % 4],
                                               RemoveFromVersionId=holder)
                outcomes.append("moved")
            except ClientError as e:
                outcomes.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=move, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert "moved" in outcomes and set(outcomes) <= {"moved", "InvalidParameterException"}, outcomes
    for sm in clients:
        listed = sm.list_secret_version_ids(SecretId="staged")["Versions"]
        assert sum("blue" in v.get("VersionStages", []) for v in listed) == 1
        assert sum("AWSCURRENT" in v.get("VersionStages", []) for v in listed) == 1
