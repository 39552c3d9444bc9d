"""Rotation end to end: RotateSecret/CancelRotateSecret with AWS's semantics, the four steps through
built-in, HTTP and command functions, failure at each step, abandonment, schedules moved by the
clock, kill -9 mid-rotation, and the rotation events in the trail."""
import datetime
import hashlib
import hmac
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from conftest import REGION, REPO, Coffer, fails
from sigv4 import signed_request

ACCOUNT = "123456789012"
HOOK_SECRET = "test-signing-secret-0123456789"
FUNCTIONS_DIR = Path(__file__).parent / "rotation_functions"


def lambda_arn(name):
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def start_node(binary, tmp_path, functions, name="data", env=None, interval=0.2, lease=600, extra=None):
    config = tmp_path / f"{name}-config.json"
    config.write_text(json.dumps({"rotation": {"intervalSeconds": interval, "leaseSeconds": lease, "functions": functions}, **(extra or {})}))
    node = Coffer(binary, tmp_path / name, env={"HOOK_SECRET": HOOK_SECRET, **(env or {})},
                  args=["--config", str(config), "--account-id", ACCOUNT])
    return node.start()


def wait_for(predicate, timeout=30, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def stages(sm, secret):
    return sm.describe_secret(SecretId=secret)["VersionIdsToStages"]


def current_version(sm, secret):
    return next(v for v, s in stages(sm, secret).items() if "AWSCURRENT" in s)


def events(node, name):
    ct = node.client("cloudtrail")
    found = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in found]


@pytest.fixture
def builtin(binary, tmp_path):
    node = start_node(binary, tmp_path, [{"name": "rotate-password", "type": "random-password"}])
    yield node
    node.stop()


def test_builtin_random_password_rotation_with_the_aws_cli(builtin, tmp_path):
    sm = builtin.client()
    sm.create_secret(Name="app/db", SecretString=json.dumps({"username": "app", "password": "old-password"}))
    first = current_version(sm, "app/db")
    key, secret = builtin.root_credentials()
    env = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": REGION,
           "PATH": "/usr/local/bin:/usr/bin:/bin:" + str(Path(sys.executable).parent)}
    out = subprocess.run(["aws", "--endpoint-url", builtin.endpoint, "secretsmanager", "rotate-secret", "--secret-id", "app/db",
                          "--rotation-lambda-arn", lambda_arn("rotate-password"), "--rotation-rules", "AutomaticallyAfterDays=30"],
                         env=env, capture_output=True, text=True, check=True)
    answered = json.loads(out.stdout)
    token = answered["VersionId"]
    assert answered["Name"] == "app/db"
    wait_for(lambda: current_version(sm, "app/db") == token)
    value = json.loads(sm.get_secret_value(SecretId="app/db")["SecretString"])
    assert value["username"] == "app" and value["password"] != "old-password" and len(value["password"]) == 32
    assert json.loads(sm.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")["SecretString"])["password"] == "old-password"
    described = wait_for(lambda: (d := sm.describe_secret(SecretId="app/db")) and "AWSPENDING" not in json.dumps(d["VersionIdsToStages"]) and d)
    assert described["VersionIdsToStages"] == {first: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == lambda_arn("rotate-password")
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 30}
    rotated = described["LastRotatedDate"].astimezone(datetime.timezone.utc)
    expected_next = datetime.datetime.combine(rotated.date() + datetime.timedelta(days=30), datetime.time(23, 59, 59),
                                              tzinfo=datetime.timezone.utc)
    assert described["NextRotationDate"] == expected_next
    listed = next(s for s in sm.list_secrets()["SecretList"] if s["Name"] == "app/db")
    assert listed["RotationEnabled"] is True and listed["NextRotationDate"] == expected_next
    # The trail has the service's own events, as AWS writes them.
    for name in ("RotationStarted", "RotationSucceeded"):
        record = wait_for(lambda: events(builtin, name))[0]
        assert record["eventType"] == "AwsServiceEvent"
        assert record["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"
        assert record["additionalEventData"]["SecretId"] == described["ARN"]
        assert record["requestID"] == f"Rotation-{described['ARN']}-{token}"
    # The built-in's own write is recorded as Secrets Manager's; its AWSCURRENT move is part of the
    # write that RotationSucceeded records.
    own = [e for e in events(builtin, "PutSecretValue") + events(builtin, "UpdateSecretVersionStage")
           if e["userIdentity"].get("invokedBy") == "secretsmanager.amazonaws.com"]
    assert sorted(e["eventName"] for e in own) == ["PutSecretValue"]
    # A second rotate-secret without configuration reuses what is stored.
    again = sm.rotate_secret(SecretId="app/db")
    wait_for(lambda: current_version(sm, "app/db") == again["VersionId"])
    assert sm.describe_secret(SecretId="app/db")["RotationRules"] == {"AutomaticallyAfterDays": 30}


def test_validation_refuses_and_changes_nothing(builtin):
    sm = builtin.client()
    sm.create_secret(Name="v", SecretString="x")
    def described():
        return {k: v for k, v in sm.describe_secret(SecretId="v").items() if k != "ResponseMetadata"}

    before = described()
    fails(lambda: sm.rotate_secret(SecretId="v"), "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
    fails(lambda: sm.rotate_secret(SecretId="v", RotationLambdaARN=lambda_arn("nope")), "AccessDeniedException",
          "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.")
    fails(lambda: sm.rotate_secret(SecretId="v", RotationLambdaARN=lambda_arn("rotate-password"),
                                   RotationRules={"AutomaticallyAfterDays": 30, "ScheduleExpression": "rate(10 days)"}),
          "InvalidParameterException", "You cannot specify both rotation frequency and schedule expression together.")
    for expression in ["cron(30 16 * * ? *)", "rate(2 hours)", "cron(0 16 1 * MON *)", "weekly"]:
        fails(lambda: sm.rotate_secret(SecretId="v", RotationLambdaARN=lambda_arn("rotate-password"),
                                       RotationRules={"ScheduleExpression": expression}), "InvalidParameterException")
    fails(lambda: sm.rotate_secret(SecretId="v", RotationLambdaARN=lambda_arn("rotate-password"),
                                   RotationRules={"ScheduleExpression": "cron(0 20 * * ? *)", "Duration": "6h"}), "InvalidParameterException")
    fails(lambda: sm.rotate_secret(SecretId="missing", RotationLambdaARN=lambda_arn("rotate-password")), "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret.")
    assert described() == before  # nothing persisted by a refused call
    assert "RotationEnabled" not in before
    sm.delete_secret(SecretId="v", RecoveryWindowInDays=7)
    fails(lambda: sm.rotate_secret(SecretId="v", RotationLambdaARN=lambda_arn("rotate-password")), "InvalidRequestException",
          "marked for deletion")


def test_cron_schedule_is_echoed_with_its_window(builtin):
    sm = builtin.client()
    sm.create_secret(Name="c", SecretString=json.dumps({"password": "p"}))
    sm.rotate_secret(SecretId="c", RotationLambdaARN=lambda_arn("rotate-password"), RotateImmediately=False,
                     RotationRules={"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"})
    described = sm.describe_secret(SecretId="c")
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 14, "Duration": "2h", "ScheduleExpression": "cron(0 16 1,15 * ? *)"}
    next_date = described["NextRotationDate"].astimezone(datetime.timezone.utc)
    assert next_date.day in (1, 15) and (next_date.hour, next_date.minute, next_date.second) == (17, 59, 59)


@pytest.fixture
def hook():
    """A real HTTP rotation function: checks Coffer's signature, then does the template's work with boto3."""
    state = {"calls": [], "fail": None, "bad_signatures": 0, "client": None}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamp = self.headers["X-Coffer-Timestamp"]
            expected = "v1=" + hmac.new(HOOK_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Coffer-Signature", "")):
                state["bad_signatures"] += 1
                self.send_response(401)
                self.end_headers()
                return
            event = json.loads(body)
            state["calls"].append(event)
            if state["fail"] == event["Step"]:
                self.send_response(500)
                self.end_headers()
                return
            sm = state["client"]
            arn, token = event["SecretId"], event["ClientRequestToken"]
            if event["Step"] == "createSecret":
                try:
                    sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
                except sm.exceptions.ResourceNotFoundException:
                    sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="rotated-" + token[:8],
                                        VersionStages=["AWSPENDING"])
            elif event["Step"] == "finishSecret":
                versions = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
                current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
                if current != token:
                    sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                                   RemoveFromVersionId=current)
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/rotate"
    yield state
    server.shutdown()


@pytest.fixture
def hooked(binary, tmp_path, hook):
    node = start_node(binary, tmp_path, [{"name": "webhook", "type": "http", "url": hook["url"], "signingSecretEnv": "HOOK_SECRET",
                                          "timeoutSeconds": 10}])
    hook["client"] = node.client()
    yield node
    node.stop()


def test_http_function_gets_the_lambda_event_in_order(hooked, hook):
    sm = hooked.client()
    arn = sm.create_secret(Name="h", SecretString="v1")["ARN"]
    token = str(uuid.uuid4())
    answer = sm.rotate_secret(SecretId="h", ClientRequestToken=token, RotationLambdaARN=lambda_arn("webhook"),
                              RotationRules={"ScheduleExpression": "rate(10 days)"})
    assert answer["VersionId"] == token
    wait_for(lambda: current_version(sm, "h") == token)
    steps = [c["Step"] for c in hook["calls"]]
    assert steps == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    for call in hook["calls"]:
        assert call["SecretId"] == arn and call["ClientRequestToken"] == token and len(call["RotationToken"]) >= 36
    assert hook["bad_signatures"] == 0
    assert sm.get_secret_value(SecretId="h")["SecretString"] == "rotated-" + token[:8]
    assert sm.describe_secret(SecretId="h")["RotationRules"] == {"AutomaticallyAfterDays": 10, "ScheduleExpression": "rate(10 days)"}


@pytest.mark.parametrize("step", ["createSecret", "setSecret", "testSecret", "finishSecret"])
def test_failure_at_each_step_leaves_awscurrent_readable(hooked, hook, step):
    sm = hooked.client()
    sm.create_secret(Name="f", SecretString="stays")
    current = current_version(sm, "f")
    hook["fail"] = step
    token = sm.rotate_secret(SecretId="f", RotationLambdaARN=lambda_arn("webhook"))["VersionId"]
    failed = wait_for(lambda: events(hooked, "RotationFailed"))
    assert failed[0]["errorMessage"].startswith(f"Error when executing lambda {lambda_arn('webhook')} during {step} step")
    assert current_version(sm, "f") == current
    assert sm.get_secret_value(SecretId="f")["SecretString"] == "stays"
    assert "AWSPENDING" in stages(sm, "f")[token]
    # A stuck rotation blocks another, with AWS's message, until it is retried and succeeds.
    fails(lambda: sm.rotate_secret(SecretId="f"), "InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.")
    assert [c["Step"] for c in hook["calls"]][-1] == step


def test_stub_then_abandon_on_a_new_value(hooked, hook):
    sm = hooked.client()
    sm.create_secret(Name="a", SecretString="v1")
    hook["fail"] = "setSecret"
    token = sm.rotate_secret(SecretId="a", RotationLambdaARN=lambda_arn("webhook"))["VersionId"]
    wait_for(lambda: events(hooked, "RotationFailed"))
    listed = [v["VersionId"] for v in sm.list_secret_version_ids(SecretId="a")["Versions"]]
    assert token in listed  # createSecret wrote the value, so the version is real now
    put = sm.put_secret_value(SecretId="a", SecretString="by-hand")
    after = stages(sm, "a")
    assert after[put["VersionId"]] == ["AWSCURRENT"]
    assert not any("AWSPENDING" in s for s in after.values())
    abandoned = wait_for(lambda: events(hooked, "RotationAbandoned"))
    assert abandoned[0]["eventType"] == "AwsServiceEvent"
    hook["fail"] = None
    again = sm.rotate_secret(SecretId="a")["VersionId"]
    wait_for(lambda: current_version(sm, "a") == again)


def test_empty_pending_version_exists_before_the_first_step(binary, tmp_path):
    # A command function that sleeps at createSecret holds the rotation at its very start.
    node = start_node(binary, tmp_path, [{"name": "slow", "type": "command", "timeoutSeconds": 30,
                                          "command": [sys.executable, "-c", "import time; time.sleep(20)"],
                                          "role": f"arn:aws:iam::{ACCOUNT}:role/rotation"}])
    try:
        iam = node.client("iam")
        iam.create_role(RoleName="rotation", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        sm = node.client()
        sm.create_secret(Name="s", SecretString="v1")
        token = sm.rotate_secret(SecretId="s", RotationLambdaARN=lambda_arn("slow"))["VersionId"]
        assert stages(sm, "s")[token] == ["AWSPENDING"]
        fails(lambda: sm.get_secret_value(SecretId="s", VersionId=token, VersionStage="AWSPENDING"), "ResourceNotFoundException")
        assert token not in [v["VersionId"] for v in sm.list_secret_version_ids(SecretId="s", IncludeDeprecated=True)["Versions"]]
        assert sm.get_secret_value(SecretId="s")["SecretString"] == "v1"
        cancelled = sm.cancel_rotate_secret(SecretId="s")
        assert cancelled["VersionId"] == token
        described = sm.describe_secret(SecretId="s")
        assert described["RotationEnabled"] is False
        assert described["RotationLambdaARN"] == lambda_arn("slow")
        assert "NextRotationDate" not in described
        assert described["VersionIdsToStages"][token] == ["AWSPENDING"]  # AWS leaves the labels to the user
    finally:
        node.stop()


def test_rotate_immediately_false_runs_only_test_secret(hooked, hook):
    sm = hooked.client()
    sm.create_secret(Name="t", SecretString="keep")
    current = current_version(sm, "t")
    token = sm.rotate_secret(SecretId="t", RotationLambdaARN=lambda_arn("webhook"), RotateImmediately=False,
                             RotationRules={"AutomaticallyAfterDays": 7})["VersionId"]
    wait_for(lambda: events(hooked, "TestRotationSucceeded"))
    assert [c["Step"] for c in hook["calls"]] == ["testSecret"]
    assert hook["calls"][0]["ClientRequestToken"] == token
    assert current_version(sm, "t") == current
    assert token not in stages(sm, "t")
    assert sm.describe_secret(SecretId="t")["RotationEnabled"] is True


COMMAND_FUNCTION = {"name": "python-template", "type": "command", "timeoutSeconds": 30,
                    "command": [sys.executable, str(REPO / "rotation" / "lambda_runner.py"), str(FUNCTIONS_DIR / "generic_rotation.py")],
                    "role": f"arn:aws:iam::{ACCOUNT}:role/rotator"}


def make_rotator_role(node, resource):
    iam = node.client("iam")
    iam.create_role(RoleName="rotator", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="rotator", PolicyName="rotate", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
                                       "secretsmanager:UpdateSecretVersionStage"], "Resource": resource},
        {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"}]}))


def test_python_lambda_function_runs_unchanged_under_its_role(binary, tmp_path):
    node = start_node(binary, tmp_path, [COMMAND_FUNCTION])
    try:
        sm = node.client()
        allowed = sm.create_secret(Name="py/allowed", SecretString=json.dumps({"password": "old"}))["ARN"]
        sm.create_secret(Name="py/other", SecretString=json.dumps({"password": "old"}))
        make_rotator_role(node, allowed)
        token = sm.rotate_secret(SecretId="py/allowed", RotationLambdaARN=lambda_arn("python-template"))["VersionId"]
        wait_for(lambda: current_version(sm, "py/allowed") == token, timeout=60)
        assert json.loads(sm.get_secret_value(SecretId="py/allowed")["SecretString"])["password"] != "old"
        # The function's own calls are in the trail under its role session.
        puts = [e for e in events(node, "PutSecretValue") if e["userIdentity"]["type"] == "AssumedRole"]
        assert puts and puts[0]["userIdentity"]["arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/rotator/coffer-rotation-")
        # Its output went to a 0600 file under the data directory, not to Coffer's log.
        logs = list((tmp_path / "data" / "rotation-logs").glob("python-template-*.log"))
        assert logs and all(oct(p.stat().st_mode & 0o777) == "0o600" for p in logs)
        # Its role does not allow the other secret: that rotation fails and changes nothing.
        other = current_version(sm, "py/other")
        sm.rotate_secret(SecretId="py/other", RotationLambdaARN=lambda_arn("python-template"))
        failed = wait_for(lambda: [e for e in events(node, "RotationFailed") if "py/other" in e["additionalEventData"]["SecretId"]], timeout=60)
        assert "during createSecret step" in failed[0]["errorMessage"]
        assert current_version(sm, "py/other") == other
        denied = [e for e in events(node, "DescribeSecret") if e.get("errorCode") == "AccessDenied" or e.get("errorCode") == "AccessDeniedException"]
        assert denied
    finally:
        node.stop()


def test_kill9_during_a_rotation_then_it_resumes(binary, tmp_path):
    functions = [dict(COMMAND_FUNCTION, timeoutSeconds=120)]
    node = start_node(binary, tmp_path, functions, lease=2)
    sm = node.client()
    arn = sm.create_secret(Name="k", SecretString=json.dumps({"password": "before"}), Tags=[{"Key": "sleep-step", "Value": "setSecret"}])["ARN"]
    make_rotator_role(node, arn)
    token = sm.rotate_secret(SecretId="k", RotationLambdaARN=lambda_arn("python-template"))["VersionId"]
    # createSecret wrote the pending value; setSecret is sleeping.
    def pending_written():
        try:
            return sm.get_secret_value(SecretId="k", VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            return None

    wait_for(pending_written, timeout=60)
    time.sleep(0.5)  # setSecret has begun
    node.kill9()
    node.start()
    sm = node.client()
    assert json.loads(sm.get_secret_value(SecretId="k")["SecretString"])["password"] == "before"
    sm.untag_resource(SecretId="k", TagKeys=["sleep-step"])
    wait_for(lambda: current_version(sm, "k") == token, timeout=90)
    assert json.loads(sm.get_secret_value(SecretId="k")["SecretString"])["password"] != "before"
    node.stop()
    # The trail is one intact chain through the crash and the rotation's service events.
    verified = subprocess.run([node.binary, "audit", "verify", "--json", "--data-dir", str(node.data_dir)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_schedule_runs_when_the_clock_reaches_it_and_once_for_missed_windows(binary, tmp_path):
    functions = [{"name": "rotate-password", "type": "random-password"}]
    node = start_node(binary, tmp_path, functions)
    sm = node.client()
    sm.create_secret(Name="sched", SecretString=json.dumps({"password": "p0"}))
    sm.rotate_secret(SecretId="sched", RotationLambdaARN=lambda_arn("rotate-password"), RotateImmediately=False,
                     RotationRules={"AutomaticallyAfterDays": 1})
    wait_for(lambda: events(node, "TestRotationSucceeded"))
    first = current_version(sm, "sched")
    node.stop()
    # Three days later: the missed windows lead to one rotation, not three. Requests are signed at
    # the server's time, which the injected clock moved.
    node.extra_env["COFFER_UNSAFE_CLOCK_OFFSET_SECONDS"] = str(3 * 86_400)
    node.start()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)
    key, secret = node.root_credentials()

    def describe():
        status, body = signed_request(node.endpoint, "secretsmanager.DescribeSecret", {"SecretId": "sched"}, key, secret,
                                      when=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3))
        assert status == 200, body
        return body

    wait_for(lambda: next(v for v, s in describe()["VersionIdsToStages"].items() if "AWSCURRENT" in s) != first)
    time.sleep(1.5)
    node.stop()
    exported = subprocess.run([node.binary, "audit", "export", "--data-dir", str(node.data_dir)], capture_output=True, check=True)
    names = [r["eventName"] for r in json.loads(exported.stdout)["Records"]]
    assert names.count("RotationSucceeded") == 1 and names.count("RotationStarted") == 1
    node.start()
    described = describe()
    assert described["NextRotationDate"] > described["LastRotatedDate"]
    rotated = datetime.datetime.fromtimestamp(described["LastRotatedDate"], datetime.timezone.utc)
    assert rotated.date() == later.date()
    assert datetime.datetime.fromtimestamp(described["NextRotationDate"], datetime.timezone.utc) == datetime.datetime.combine(
        later.date() + datetime.timedelta(days=1), datetime.time(23, 59, 59), tzinfo=datetime.timezone.utc)
    node.stop()


def test_rollback_moves_awscurrent_back_and_is_audited(builtin):
    sm = builtin.client()
    sm.create_secret(Name="rb", SecretString=json.dumps({"password": "first"}))
    first = current_version(sm, "rb")
    token = sm.rotate_secret(SecretId="rb", RotationLambdaARN=lambda_arn("rotate-password"))["VersionId"]
    wait_for(lambda: current_version(sm, "rb") == token)
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(builtin.data_dir / "root-credentials"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([builtin.binary, "secrets", "rollback", "rb", "--endpoint-url", builtin.endpoint], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert stages(sm, "rb") == {first: ["AWSCURRENT"], token: ["AWSPREVIOUS"]}
    assert json.loads(sm.get_secret_value(SecretId="rb")["SecretString"])["password"] == "first"
    moved = events(builtin, "UpdateSecretVersionStage")
    assert any(e["userIdentity"]["type"] == "Root" for e in moved)
    # Without an AWSPREVIOUS there is nothing to roll back to, and nothing changes.
    sm.create_secret(Name="single", SecretString="only")
    out = subprocess.run([builtin.binary, "secrets", "rollback", "single", "--endpoint-url", builtin.endpoint], env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "AWSPREVIOUS" in out.stderr


def test_iam_access_key_rotation_retires_the_old_key(binary, tmp_path):
    node = start_node(binary, tmp_path, [{"name": "rotate-access-key", "type": "iam-access-key"}])
    try:
        iam, sm = node.client("iam"), node.client()
        iam.create_user(UserName="ci-deployer")
        iam.put_user_policy(UserName="ci-deployer", PolicyName="who", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))
        first = iam.create_access_key(UserName="ci-deployer")["AccessKey"]
        sm.create_secret(Name="ci/deployer-key", SecretString=json.dumps({
            "userName": "ci-deployer", "accessKeyId": first["AccessKeyId"], "secretAccessKey": first["SecretAccessKey"]}))

        def who(pair):
            sts = node.client("sts", access_key=pair["accessKeyId"], secret_key=pair["secretAccessKey"])
            return sts.get_caller_identity()["Arn"]

        token = sm.rotate_secret(SecretId="ci/deployer-key", RotationLambdaARN=lambda_arn("rotate-access-key"))["VersionId"]
        wait_for(lambda: current_version(sm, "ci/deployer-key") == token)
        second = json.loads(sm.get_secret_value(SecretId="ci/deployer-key")["SecretString"])
        assert second["accessKeyId"] != first["AccessKeyId"] and second["userName"] == "ci-deployer"
        assert who(second).endswith(":user/ci-deployer")
        keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]}
        assert keys == {first["AccessKeyId"]: "Inactive", second["accessKeyId"]: "Active"}
        fails(lambda: who({"accessKeyId": first["AccessKeyId"], "secretAccessKey": first["SecretAccessKey"]}), "InvalidClientTokenId")
        # The next rotation deletes the key retired before, so the user never needs a third.
        again = sm.rotate_secret(SecretId="ci/deployer-key")["VersionId"]
        wait_for(lambda: current_version(sm, "ci/deployer-key") == again)
        third = json.loads(sm.get_secret_value(SecretId="ci/deployer-key")["SecretString"])
        keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]}
        assert keys == {second["accessKeyId"]: "Inactive", third["accessKeyId"]: "Active"}
        assert who(third).endswith(":user/ci-deployer")
    finally:
        node.stop()


def test_a_hanging_function_is_cut_off_at_its_timeout(binary, tmp_path):
    node = start_node(binary, tmp_path, [dict(COMMAND_FUNCTION, timeoutSeconds=2)])
    try:
        sm = node.client()
        arn = sm.create_secret(Name="hang", SecretString=json.dumps({"password": "p"}),
                               Tags=[{"Key": "sleep-step", "Value": "createSecret"}])["ARN"]
        make_rotator_role(node, arn)
        started = time.monotonic()
        sm.rotate_secret(SecretId="hang", RotationLambdaARN=lambda_arn("python-template"))
        failed = wait_for(lambda: events(node, "RotationFailed"), timeout=30)
        assert time.monotonic() - started < 20
        assert "during createSecret step: the function timed out after 2 seconds" in failed[0]["errorMessage"]
        assert json.loads(sm.get_secret_value(SecretId="hang")["SecretString"])["password"] == "p"
    finally:
        node.stop()


def test_sighup_reloads_the_registered_functions(binary, tmp_path):
    node = start_node(binary, tmp_path, [])
    try:
        sm = node.client()
        sm.create_secret(Name="later", SecretString=json.dumps({"password": "p"}))
        fails(lambda: sm.rotate_secret(SecretId="later", RotationLambdaARN=lambda_arn("rotate-password")), "AccessDeniedException")
        config = tmp_path / "data-config.json"
        config.write_text(json.dumps({"rotation": {"intervalSeconds": 0.2, "functions": [{"name": "rotate-password", "type": "random-password"}]}}))
        node.proc.send_signal(signal.SIGHUP)
        token = wait_for(lambda: _try_rotate(sm, "later", lambda_arn("rotate-password")))
        wait_for(lambda: current_version(sm, "later") == token)
        # A broken config file leaves the functions as they were.
        config.write_text("{not json")
        node.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert node.proc.poll() is None
        again = sm.rotate_secret(SecretId="later")["VersionId"]
        wait_for(lambda: current_version(sm, "later") == again)
    finally:
        node.stop()


def _try_rotate(sm, secret, arn):
    try:
        return sm.rotate_secret(SecretId=secret, RotationLambdaARN=arn)["VersionId"]
    except sm.exceptions.ClientError:
        return None


def test_failure_alerts_the_webhooks(binary, tmp_path, hook):
    alerts = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            alerts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    node = start_node(binary, tmp_path, [{"name": "webhook", "type": "http", "url": hook["url"], "signingSecretEnv": "HOOK_SECRET"}],
                      extra={"alerts": {"webhooks": [f"http://127.0.0.1:{receiver.server_address[1]}/alert"], "rootUsage": False}})
    try:
        hook["client"] = node.client()
        hook["fail"] = "testSecret"
        sm = node.client()
        sm.create_secret(Name="alerting", SecretString="canary-value-never-sent")
        sm.rotate_secret(SecretId="alerting", RotationLambdaARN=lambda_arn("webhook"))
        alert = wait_for(lambda: [a for a in alerts if a.get("alert") == "rotation-failed"])[0]
        assert alert["details"]["step"] == "testSecret" and ":secret:alerting-" in alert["details"]["secret"]
        assert "canary-value-never-sent" not in json.dumps(alerts)
        assert "canary-value-never-sent" not in node.logs()
    finally:
        node.stop()
        receiver.shutdown()


def test_raw_request_without_a_token_and_callers_without_invoke_permission(builtin):
    from sigv4 import signed_request
    key, secret = builtin.root_credentials()
    sm = builtin.client()
    sm.create_secret(Name="raw", SecretString="x")
    status, body = signed_request(builtin.endpoint, "secretsmanager.RotateSecret",
                                  {"SecretId": "missing-secret", "RotationLambdaARN": lambda_arn("rotate-password")}, key, secret)
    # The token is checked before the secret is looked up, as on AWS.
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert (body.get("Message") or body.get("message")) == "You must provide a ClientRequestToken value. We recommend a UUID-type value."
    status, body = signed_request(builtin.endpoint, "secretsmanager.RotateSecret",
                                  {"SecretId": "raw", "ClientRequestToken": "short", "RotationLambdaARN": lambda_arn("rotate-password")},
                                  key, secret)
    assert status == 400 and body["__type"] == "ValidationException"
    # An IAM user allowed RotateSecret but not lambda:InvokeFunction is refused, as on AWS.
    iam = builtin.client("iam")
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="rotate", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:RotateSecret", "secretsmanager:DescribeSecret"], "Resource": "*"}]}))
    pair = iam.create_access_key(UserName="operator")["AccessKey"]
    operator = builtin.client(access_key=pair["AccessKeyId"], secret_key=pair["SecretAccessKey"])
    message = fails(lambda: operator.rotate_secret(SecretId="raw", RotationLambdaARN=lambda_arn("rotate-password")), "AccessDeniedException")
    assert "lambda:InvokeFunction" in message
    iam.put_user_policy(UserName="operator", PolicyName="invoke", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": lambda_arn("rotate-password")}]}))
    token = operator.rotate_secret(SecretId="raw", RotationLambdaARN=lambda_arn("rotate-password"))["VersionId"]
    wait_for(lambda: current_version(sm, "raw") == token)


def test_rotation_condition_keys_decide(builtin):
    iam, sm = builtin.client("iam"), builtin.client()
    sm.create_secret(Name="ck", SecretString=json.dumps({"password": "p"}))
    iam.create_user(UserName="limited")
    iam.put_user_policy(UserName="limited", PolicyName="only-approved", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:RotateSecret"], "Resource": "*",
         "Condition": {"StringEquals": {"secretsmanager:RotationLambdaARN": lambda_arn("rotate-password")}}},
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}]}))
    pair = iam.create_access_key(UserName="limited")["AccessKey"]
    limited = builtin.client(access_key=pair["AccessKeyId"], secret_key=pair["SecretAccessKey"])
    fails(lambda: limited.rotate_secret(SecretId="ck", RotationLambdaARN=lambda_arn("other-function")), "AccessDeniedException")
    token = limited.rotate_secret(SecretId="ck", RotationLambdaARN=lambda_arn("rotate-password"))["VersionId"]
    wait_for(lambda: current_version(sm, "ck") == token)
