"""The audit trail: every call recorded as a CloudTrail event, LookupEvents, no secret in the trail, fail closed."""
import datetime
import gzip
import json
import sqlite3
import subprocess
import time

import boto3
import pytest
from botocore.config import Config

from conftest import REGION, aws_env, fails

CANARY = "CANARY-7f3c9e-never-in-the-trail"
CANARY_2 = "CANARY-second-value-91ad"
READ_ONE = lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": arn}]})


def user_client(coffer, iam, name, policy=None, service="secretsmanager"):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return coffer.client(service, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]), key


def lookup_all(ct, **kwargs):
    """Every event LookupEvents returns for the query, following NextToken."""
    events, token = [], None
    while True:
        page = ct.lookup_events(**kwargs, **({"NextToken": token} if token else {}))
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            return events


def attr(key, value):
    return {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}


@pytest.fixture
def workload(coffer):
    """Allowed and denied calls by root, two users and a role session."""
    iam, sm, ct = coffer.client("iam"), coffer.client(), coffer.client("cloudtrail")
    secret = sm.create_secret(Name="audit/db", SecretString=CANARY)
    alice, alice_key = user_client(coffer, iam, "alice", READ_ONE(secret["ARN"]))
    bob, bob_key = user_client(coffer, iam, "bob")
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{secret['ARN'].split(':')[4]}:root"}, "Action": "sts:AssumeRole"}]}))["Role"]
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=READ_ONE(secret["ARN"]))
    iam.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "sts:AssumeRole"], "Resource": [secret["ARN"], role["Arn"]]}]}))
    for _ in range(3):
        assert alice.get_secret_value(SecretId="audit/db")["SecretString"] == CANARY
    for _ in range(2):
        fails(lambda: bob.get_secret_value(SecretId="audit/db"), "AccessDeniedException")
    alice_sts = coffer.client("sts", access_key=alice_key["AccessKeyId"], secret_key=alice_key["SecretAccessKey"])
    creds = alice_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="nightly-job")["Credentials"]
    as_role = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert as_role.get_secret_value(SecretId="audit/db")["SecretString"] == CANARY
    sm.put_secret_value(SecretId="audit/db", SecretString=CANARY_2)
    assert sm.get_secret_value(SecretId="audit/db")["SecretString"] == CANARY_2
    fails(lambda: sm.get_secret_value(SecretId="audit/missing"), "ResourceNotFoundException")
    return dict(iam=iam, sm=sm, ct=ct, secret=secret, alice_key=alice_key, bob_key=bob_key, role=role, session_key=creds["AccessKeyId"])


def test_lookup_by_every_attribute_with_aws_shapes(coffer, workload, tmp_path):
    ct, secret = workload["ct"], workload["secret"]
    # As written in the seeds, endpoint added.
    out = subprocess.run(["aws", "--endpoint-url", coffer.endpoint, "--profile", "audit", "cloudtrail", "lookup-events",
                          "--lookup-attributes", "AttributeKey=EventName,AttributeValue=GetSecretValue"],
                         env=aws_env(tmp_path, coffer, "audit"), capture_output=True, text=True, check=True)
    events = json.loads(out.stdout)["Events"]
    # alice 3, bob 2 (denied), the role session 1, root 1, root's miss 1.
    assert len(events) == 8, [e["Username"] for e in events]
    assert [e["Username"] for e in events] == ["root", "root", "nightly-job", "bob", "bob", "alice", "alice", "alice"]
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)
    for event in events:
        assert set(event) == {"EventId", "EventName", "ReadOnly", "AccessKeyId", "EventTime", "EventSource", "Username", "Resources",
                              "CloudTrailEvent"}
        assert event["ReadOnly"] == "true" and event["EventSource"] == "secretsmanager.amazonaws.com"
        record = json.loads(event["CloudTrailEvent"])
        assert record["eventVersion"] == "1.08" and record["eventID"] == event["EventId"] and record["eventName"] == "GetSecretValue"
        assert record["eventType"] == "AwsApiCall" and record["managementEvent"] is True and record["eventCategory"] == "Management"
        assert record["readOnly"] is True and record["awsRegion"] == REGION and record["responseElements"] is None
        assert record["recipientAccountId"] == secret["ARN"].split(":")[4] and record["requestID"]
        assert record["sourceIPAddress"] == "127.0.0.1" and ("Boto3" in record["userAgent"] or "aws-cli" in record["userAgent"])
    denied = [json.loads(e["CloudTrailEvent"]) for e in events if e["Username"] == "bob"]
    assert all(r["errorCode"] == "AccessDeniedException" and "is not authorized to perform" in r["errorMessage"] for r in denied)
    assert all(r["userIdentity"]["type"] == "IAMUser" and r["userIdentity"]["userName"] == "bob"
               and r["userIdentity"]["accessKeyId"] == workload["bob_key"]["AccessKeyId"] for r in denied)
    session = json.loads(next(e for e in events if e["Username"] == "nightly-job")["CloudTrailEvent"])["userIdentity"]
    assert session["type"] == "AssumedRole" and session["arn"].endswith(":assumed-role/reader/nightly-job")
    assert session["sessionContext"]["sessionIssuer"]["arn"] == workload["role"]["Arn"]
    assert session["sessionContext"]["sessionIssuer"]["userName"] == "reader" and session["principalId"].endswith(":nightly-job")
    allowed = [e for e in events if e["Username"] == "alice"]
    assert all(e["Resources"] == [{"ResourceType": "AWS::SecretsManager::Secret", "ResourceName": secret["ARN"]}] for e in allowed)

    # Each attribute returns exactly the matching events.
    alice = lookup_all(ct, **attr("Username", "alice"))
    assert [e["EventName"] for e in alice] == ["AssumeRole", "GetSecretValue", "GetSecretValue", "GetSecretValue"]
    bob = lookup_all(ct, **attr("AccessKeyId", workload["bob_key"]["AccessKeyId"]))
    assert [e["EventName"] for e in bob] == ["GetSecretValue", "GetSecretValue"]
    assert lookup_all(ct, **attr("AccessKeyId", workload["session_key"]))[0]["Username"] == "nightly-job"
    writes = lookup_all(ct, **attr("ReadOnly", "false"))
    assert writes and all(e["ReadOnly"] == "false" for e in writes)
    assert {"CreateSecret", "PutSecretValue", "CreateUser", "PutUserPolicy", "CreateAccessKey", "CreateRole", "AssumeRole"} <= {
        e["EventName"] for e in writes}
    put = lookup_all(ct, **attr("EventName", "PutSecretValue"))
    assert len(put) == 1 and put[0]["Username"] == "root"
    on_secret = lookup_all(ct, **attr("ResourceName", secret["ARN"]))
    assert {e["EventName"] for e in on_secret} == {"CreateSecret", "GetSecretValue", "PutSecretValue"}
    by_type = lookup_all(ct, **attr("ResourceType", "AWS::SecretsManager::Secret"))
    assert {e["EventId"] for e in on_secret} <= {e["EventId"] for e in by_type}
    iam_events = lookup_all(ct, **attr("EventSource", "iam.amazonaws.com"))
    assert {e["EventName"] for e in iam_events} == {"CreateUser", "PutUserPolicy", "CreateAccessKey", "CreateRole", "PutRolePolicy"}
    one = lookup_all(ct, **attr("EventId", put[0]["EventId"]))
    assert [e["EventId"] for e in one] == [put[0]["EventId"]]
    assert lookup_all(ct, **attr("EventName", "NoSuchCall")) == []

    # Paging: two at a time gives the same events in the same order as one page, and the paginator agrees.
    everything = ct.lookup_events(MaxResults=50)["Events"]
    paged = []
    page = ct.lookup_events(MaxResults=2)
    paged += page["Events"]
    while page.get("NextToken"):
        assert len(page["Events"]) == 2
        page = ct.lookup_events(MaxResults=2, NextToken=page["NextToken"])
        paged += page["Events"]
    # LookupEvents records itself: compare the events that existed before paging began.
    known = {e["EventId"] for e in everything}
    assert [e["EventId"] for e in paged if e["EventId"] in known] == [e["EventId"] for e in everything]
    pages = list(ct.get_paginator("lookup_events").paginate(**attr("Username", "alice"), PaginationConfig={"PageSize": 3}))
    assert [len(p["Events"]) for p in pages] == [3, 1]

    # Time range.
    now = datetime.datetime.now(datetime.timezone.utc)
    assert ct.lookup_events(StartTime=now + datetime.timedelta(hours=1))["Events"] == []
    recent = ct.lookup_events(**attr("EventName", "PutSecretValue"), StartTime=now - datetime.timedelta(minutes=10), EndTime=now + datetime.timedelta(minutes=1))
    assert len(recent["Events"]) == 1

    # Bad input gets CloudTrail's errors.
    fails(lambda: ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "a"},
                                                     {"AttributeKey": "Username", "AttributeValue": "b"}]), "InvalidLookupAttributesException")
    fails(lambda: ct.lookup_events(StartTime=now, EndTime=now - datetime.timedelta(hours=1)), "InvalidTimeRangeException")
    token = ct.lookup_events(MaxResults=1)["NextToken"]
    fails(lambda: ct.lookup_events(MaxResults=1, NextToken="bm90LWEtdG9rZW4="), "InvalidNextTokenException")
    fails(lambda: ct.lookup_events(MaxResults=1, NextToken=token, **attr("EventName", "GetSecretValue")), "InvalidNextTokenException")


def test_no_secret_in_the_trail_the_export_or_the_database(coffer, workload, tmp_path):
    ct = workload["ct"]
    kms = coffer.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key, Plaintext=CANARY.encode())
    ssm = coffer.client("ssm")
    ssm.put_parameter(Name="/audit/param", Value=CANARY, Type="SecureString")
    assert ssm.get_parameter(Name="/audit/param", WithDecryption=True)["Parameter"]["Value"] == CANARY
    created_key = workload["iam"].create_access_key(UserName="bob")["AccessKey"]
    records = [json.loads(e["CloudTrailEvent"]) for e in lookup_all(ct)]
    text = json.dumps(records)
    assert CANARY not in text and CANARY_2 not in text and created_key["SecretAccessKey"] not in text
    assert workload["alice_key"]["SecretAccessKey"] not in text
    # Values a reviewer may need to match are kept as a keyed HMAC: equal values, equal hashes.
    put = next(r for r in records if r["eventName"] == "PutParameter")
    assert put["requestParameters"]["value"].startswith("hmac-sha256:") and put["requestParameters"]["name"] == "/audit/param"
    create = next(r for r in records if r["eventName"] == "CreateSecret")
    # The same canary went into both: a reviewer can see that without seeing it.
    assert create["requestParameters"]["secretString"] == put["requestParameters"]["value"]
    encrypt = next(r for r in records if r["eventName"] == "Encrypt")
    assert encrypt["requestParameters"]["plaintext"].startswith("hmac-sha256:")

    # The read-only calls above are chained a few milliseconds after they were answered: the trail
    # is settled when two exports in a row agree, and the split exports below then hold the same.
    export, previous, deadline = None, None, time.monotonic() + 10
    while time.monotonic() < deadline:
        export = subprocess.run([coffer.binary, "audit", "export", "--data-dir", str(coffer.data_dir)], capture_output=True, check=True)
        if previous is not None and export.stdout == previous:
            break
        previous = export.stdout
        time.sleep(0.2)
    exported = json.loads(export.stdout)["Records"]
    assert len(exported) >= len(records) and CANARY.encode() not in export.stdout and CANARY_2.encode() not in export.stdout
    assert {r["eventID"] for r in records} <= {r["eventID"] for r in exported}
    out_dir = tmp_path / "siem"
    subprocess.run([coffer.binary, "audit", "export", "--data-dir", str(coffer.data_dir), "--output", str(out_dir), "--records-per-file", "10"],
                   check=True, capture_output=True)
    files = sorted(out_dir.glob("*.json"))
    assert len(files) == (len(exported) + 9) // 10
    assert sum(len(json.loads(f.read_text())["Records"]) for f in files) == len(exported)
    # As CloudTrail delivers them: gzip-compressed, the same records in the same order.
    gz_dir = tmp_path / "siem-gz"
    subprocess.run([coffer.binary, "audit", "export", "--data-dir", str(coffer.data_dir), "--output", str(gz_dir), "--records-per-file", "10",
                    "--gzip"], check=True, capture_output=True)
    gz_files = sorted(gz_dir.glob("*.json.gz"))
    assert [f.name for f in gz_files] == [f.name + ".gz" for f in files]
    assert [r for f in gz_files for r in json.loads(gzip.decompress(f.read_bytes()))["Records"]] == \
        [r for f in files for r in json.loads(f.read_text())["Records"]]
    refused = subprocess.run([coffer.binary, "audit", "export", "--data-dir", str(coffer.data_dir), "--gzip"], capture_output=True)
    assert refused.returncode != 0 and b"--output" in refused.stderr
    coffer.stop()
    for path in coffer.data_dir.glob("coffer.db*"):
        data = path.read_bytes()
        assert CANARY.encode() not in data and CANARY_2.encode() not in data, path


def test_fail_closed_when_the_record_cannot_be_written(coffer):
    key, secret = coffer.root_credentials()
    sm = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name=REGION, aws_access_key_id=key,
                      aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1}))
    sm.create_secret(Name="guarded", SecretString="before")
    # The first read of the day records LastAccessedDate, a change; later reads change nothing.
    sm.get_secret_value(SecretId="guarded")
    db = sqlite3.connect(coffer.data_dir / "coffer.db")
    db.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'audit store down'); END")
    db.commit()
    try:
        # A change whose record cannot be chained does not happen.
        fails(lambda: sm.put_secret_value(SecretId="guarded", SecretString="after"), "InternalServiceError")
        fails(lambda: sm.create_secret(Name="never", SecretString="x"), "InternalServiceError")
        # A read is answered once its record is safe in the staging file; it is chained when the store works again.
        assert sm.get_secret_value(SecretId="guarded")["SecretString"] == "before"
        read_id = sm.describe_secret(SecretId="guarded")["ResponseMetadata"]["RequestId"]
    finally:
        db.execute("DROP TRIGGER refuse_audit")
        db.commit()
        db.close()
    assert sm.get_secret_value(SecretId="guarded")["SecretString"] == "before"
    assert len(sm.list_secret_version_ids(SecretId="guarded")["Versions"]) == 1
    fails(lambda: sm.describe_secret(SecretId="never"), "ResourceNotFoundException")
    events = lookup_all(coffer.client("cloudtrail"), **attr("EventName", "DescribeSecret"))
    assert read_id in {json.loads(e["CloudTrailEvent"])["requestID"] for e in events}
    failed = [json.loads(e["CloudTrailEvent"]) for e in lookup_all(coffer.client("cloudtrail"), **attr("EventName", "PutSecretValue"))]
    assert [r.get("errorCode") for r in failed] == ["InternalServiceError"]
    assert "audit store down" not in coffer.logs()
    coffer.stop()
    assert verify_exit(coffer) == 0


def verify_exit(coffer):
    return subprocess.run([coffer.binary, "audit", "verify", "--data-dir", str(coffer.data_dir)], capture_output=True).returncode


def test_authentication_failures_naming_a_known_key_are_recorded(coffer):
    iam = coffer.client("iam")
    iam.create_user(UserName="mallory")
    key = iam.create_access_key(UserName="mallory")["AccessKey"]
    forged = coffer.client(access_key=key["AccessKeyId"], secret_key="not-the-secret-key-at-all-000000000000000")
    fails(lambda: forged.list_secrets(), "InvalidSignatureException")
    stranger = coffer.client(access_key="AKIAUNKNOWNKEY000000", secret_key="x" * 40)
    fails(lambda: stranger.list_secrets(), "UnrecognizedClientException")
    events = lookup_all(coffer.client("cloudtrail"), **attr("AccessKeyId", key["AccessKeyId"]))
    assert len(events) == 1 and events[0]["EventName"] == "ListSecrets" and events[0]["Username"] == "mallory"
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["errorCode"] == "InvalidSignatureException" and record["userIdentity"]["type"] == "IAMUser"
    assert lookup_all(coffer.client("cloudtrail"), **attr("AccessKeyId", "AKIAUNKNOWNKEY000000")) == []


def test_response_elements_where_cloudtrail_fills_them(coffer, workload):
    """Creations of keys, users, roles, access keys and credentials, key deletion and parameter
    versions carry responseElements as CloudTrail writes them (lowerCamelCase, its date format);
    reads, cryptographic calls, Secrets Manager's calls and failures keep null; no token or secret."""
    ct, iam = workload["ct"], workload["iam"]
    kms, ssm = coffer.client("kms"), coffer.client("ssm")
    key = kms.create_key(Description="trail")["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"data")
    deletion = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    ssm.put_parameter(Name="/trail/p", Value="v", Type="String")
    ssm.put_parameter(Name="/trail/p", Value="w", Type="String", Overwrite=True)
    session = coffer.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    coffer.client("sts").get_caller_identity()

    def elements(name, api_only=True):
        events = [json.loads(e["CloudTrailEvent"]) for e in lookup_all(ct, **attr("EventName", name))]
        return [e["responseElements"] for e in events if not api_only or e["eventType"] == "AwsApiCall"]

    def cloudtrail_date(when):
        hour = when.hour % 12 or 12
        return f"{when:%b} {when.day}, {when.year}, {hour}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'}"

    created = elements("CreateKey")[0]["keyMetadata"]
    assert created["keyId"] == key["KeyId"] and created["arn"] == key["Arn"] and created["keyState"] == "Enabled"
    assert created["keyUsage"] == "ENCRYPT_DECRYPT" and created["description"] == "trail"
    assert created["creationDate"] == cloudtrail_date(key["CreationDate"].astimezone(datetime.timezone.utc))
    scheduled = elements("ScheduleKeyDeletion")[0]
    assert scheduled["keyId"] == key["Arn"] and scheduled["keyState"] == "PendingDeletion" and scheduled["pendingWindowInDays"] == 7
    assert scheduled["deletionDate"] == cloudtrail_date(deletion["DeletionDate"].astimezone(datetime.timezone.utc))
    assert [e for e in elements("PutParameter")] == [{"version": 2, "tier": "Standard"}, {"version": 1, "tier": "Standard"}]
    user = iam.get_user(UserName="alice")["User"]
    assert {"path": "/", "userName": "alice", "userId": user["UserId"], "arn": user["Arn"]}.items() <= \
        next(e["user"] for e in elements("CreateUser") if e["user"]["userName"] == "alice").items()
    access = next(e["accessKey"] for e in elements("CreateAccessKey") if e["accessKey"]["userName"] == "alice")
    assert access["accessKeyId"] == workload["alice_key"]["AccessKeyId"] and access["status"] == "Active"
    assert "secretAccessKey" not in access
    assert elements("CreateRole")[0]["role"]["roleId"] == workload["role"]["RoleId"]
    assumed = elements("AssumeRole")[0]
    assert assumed["credentials"]["accessKeyId"] == workload["session_key"]
    assert assumed["credentials"]["sessionToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert assumed["assumedRoleUser"]["arn"].endswith(":assumed-role/reader/nightly-job")
    issued = elements("GetSessionToken")[0]["credentials"]
    assert issued["accessKeyId"] == session["AccessKeyId"] and issued["sessionToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert issued["expiration"] == cloudtrail_date(session["Expiration"].astimezone(datetime.timezone.utc))
    for name in ("Encrypt", "GetSecretValue", "CreateSecret", "PutSecretValue", "GetCallerIdentity"):
        assert set(map(json.dumps, elements(name))) == {"null"}, name
    trail = json.dumps([e["CloudTrailEvent"] for e in lookup_all(ct)])
    assert session["SessionToken"] not in trail and session["SecretAccessKey"] not in trail
    assert workload["alice_key"]["SecretAccessKey"] not in trail
