"""Rate limits per source address (seed 001's 2,000 requests per IP in five minutes, scaled down) and
per access key and class of operation, answered with each service's throttling error, which the
SDKs retry; throttled calls by a known key are in the trail."""
import json
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Coffer, fails

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def client(node, service, config=NO_RETRIES, key=None):
    k, s = key or node.root_credentials()
    return boto3.client(service, endpoint_url=node.endpoint, region_name="us-east-1", aws_access_key_id=k, aws_secret_access_key=s,
                        config=config)


def test_a_source_address_over_its_limit_is_throttled(binary, tmp_path):
    config = tmp_path / "limits.json"
    config.write_text(json.dumps({"rateLimits": {"perSourceIp": {"requests": 6, "windowSeconds": 300}}}))
    node = Coffer(binary, tmp_path / "data", args=["--config", str(config)]).start()
    try:
        sm = client(node, "secretsmanager")
        sm.create_secret(Name="limited", SecretString="x")
        for _ in range(3):
            sm.get_secret_value(SecretId="limited")
        client(node, "sts").get_caller_identity()
        client(node, "kms").list_keys()
        error = fails(lambda: sm.get_secret_value(SecretId="limited"), "ThrottlingException")
        assert error == "Rate exceeded"
        # The query protocol's own code, in its XML shape.
        with_info = None
        try:
            client(node, "iam").list_users()
        except ClientError as e:
            with_info = e.response
        assert with_info["Error"]["Code"] == "Throttling" and with_info["ResponseMetadata"]["HTTPStatusCode"] == 400
        # The health check is not an AWS call and is never limited.
        import urllib.request
        assert urllib.request.urlopen(node.endpoint + "/health").status == 200
    finally:
        node.stop()


def test_an_access_key_is_limited_per_class_and_the_sdk_retries(binary, tmp_path):
    config = tmp_path / "limits.json"
    config.write_text(json.dumps({"rateLimits": {"perAccessKey": {"write": {"requests": 2, "windowSeconds": 1}}}}))
    node = Coffer(binary, tmp_path / "data", args=["--config", str(config)]).start()
    try:
        sm = client(node, "secretsmanager")
        sm.create_secret(Name="w1", SecretString="x")
        sm.create_secret(Name="w2", SecretString="x")
        # Two a second: a quick run of ten more writes cannot all pass, however slow the machine.
        throttled = []
        for i in range(3, 13):
            try:
                sm.create_secret(Name=f"w{i}", SecretString="x")
            except ClientError as e:
                throttled.append((e.response["Error"]["Code"], e.response["Error"]["Message"]))
        assert throttled and set(throttled) == {("ThrottlingException", "Rate exceeded")}
        # Reads are another class: not limited here.
        for _ in range(10):
            sm.get_secret_value(SecretId="w1")
        # Another key has its own allowance.
        iam = client(node, "iam", config=Config(retries={"mode": "standard", "max_attempts": 10}))
        iam.create_user(UserName="other")
        creds = iam.create_access_key(UserName="other")["AccessKey"]
        iam.put_user_policy(UserName="other", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}))
        client(node, "secretsmanager", key=(creds["AccessKeyId"], creds["SecretAccessKey"])).create_secret(Name="by-other", SecretString="x")
        # The SDK's retries wait the refill out: a burst of writes all succeed in the end.
        patient = client(node, "secretsmanager", config=Config(retries={"mode": "standard", "max_attempts": 10}))
        time.sleep(1)
        for i in range(6):
            patient.put_secret_value(SecretId="w1", SecretString=f"v{i}")
        events = client(node, "cloudtrail", config=None).lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateSecret"}])["Events"]
        throttled = [json.loads(e["CloudTrailEvent"]) for e in events if json.loads(e["CloudTrailEvent"]).get("errorCode") == "ThrottlingException"]
        assert len(throttled) >= 1 and throttled[0]["errorMessage"] == "Rate exceeded"
    finally:
        node.stop()


def test_bad_limit_settings_stop_the_server(binary, tmp_path):
    import subprocess
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"rateLimits": {"perAccessKey": {"everything": {"requests": 1, "windowSeconds": 1}}}}))
    out = subprocess.run([binary, "serve", "--config", str(config), "--data-dir", str(tmp_path / "d"), "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "rateLimits.perAccessKey.everything is not a class of operation" in out.stderr

