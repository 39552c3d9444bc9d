"""Parameter Store parameter policies (Expiration enforced, notifications sent as events), AWS's public
global-infrastructure parameters, root-level names with and without the slash, and KMS details: DryRun, mrk- ids."""
import datetime
import json
import time

from conftest import fails


def iso(seconds_from_now):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_expired_parameter_is_gone_on_time(coffer):
    ssm = coffer.client("ssm")
    policies = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": iso(3)}},
                {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "30", "Unit": "Days"}}]
    put = ssm.put_parameter(Name="/app/temp-token", Value="short-lived", Type="SecureString", Tier="Advanced", Policies=json.dumps(policies))
    assert put["Tier"] == "Advanced"
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/temp-token"]}])["Parameters"][0]
    assert sorted(p["PolicyType"] for p in described["Policies"]) == ["Expiration", "NoChangeNotification"]
    assert all(p["PolicyStatus"] == "Pending" for p in described["Policies"])
    assert json.loads(described["Policies"][0]["PolicyText"])["Type"] in ("Expiration", "NoChangeNotification")
    assert ssm.get_parameter(Name="/app/temp-token", WithDecryption=True)["Parameter"]["Value"] == "short-lived"
    time.sleep(3.5)
    fails(lambda: ssm.get_parameter(Name="/app/temp-token"), "ParameterNotFound")
    assert ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/temp-token"]}])["Parameters"] == []
    assert ssm.get_parameters_by_path(Path="/app")["Parameters"] == []


def test_policy_validation(coffer):
    ssm = coffer.client("ssm")
    expiration = json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": iso(3600)}}])
    fails(lambda: ssm.put_parameter(Name="/p/standard", Value="v", Type="String", Tier="Standard", Policies=expiration), "ValidationException")
    # Intelligent-Tiering moves a parameter with policies to the advanced tier.
    assert ssm.put_parameter(Name="/p/smart", Value="v", Type="String", Tier="Intelligent-Tiering", Policies=expiration)["Tier"] == "Advanced"
    fails(lambda: ssm.put_parameter(Name="/p/bad", Value="v", Type="String", Tier="Advanced",
                                    Policies=json.dumps([{"Type": "Nope", "Version": "1.0", "Attributes": {}}])), "InvalidPolicyTypeException")
    fails(lambda: ssm.put_parameter(Name="/p/bad", Value="v", Type="String", Tier="Advanced",
                                    Policies=json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "tomorrow"}}])),
          "InvalidPolicyAttributeException")
    fails(lambda: ssm.put_parameter(Name="/p/bad", Value="v", Type="String", Tier="Advanced", Policies=json.dumps(
        [{"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "1", "Unit": "Days"}}])), "IncompatiblePolicyException")
    fails(lambda: ssm.get_parameter(Name="/p/bad"), "ParameterNotFound")


def test_global_infrastructure_public_parameters(coffer):
    ssm = coffer.client("ssm")
    region = ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/eu-west-1/longName")["Parameter"]
    assert region["Value"] == "Europe (Ireland)" and region["Type"] == "String"
    assert region["ARN"] == "arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions/eu-west-1/longName"
    names, token = [], None
    while True:
        page = ssm.get_parameters_by_path(Path="/aws/service/global-infrastructure/regions", **({"NextToken": token} if token else {}))
        names += [p["Value"] for p in page["Parameters"]]
        token = page.get("NextToken")
        if not token:
            break
    assert "us-east-1" in names and "eu-west-1" in names and len(names) > 20
    got = ssm.get_parameters(Names=["/aws/service/global-infrastructure/services/secretsmanager/longName", "/aws/service/nope"])
    assert got["Parameters"][0]["Value"] == "AWS Secrets Manager" and got["InvalidParameters"] == ["/aws/service/nope"]
    fails(lambda: ssm.put_parameter(Name="/aws/service/mine", Value="v", Type="String"), "AccessDeniedException")


def test_root_level_names_with_and_without_slash_are_one_parameter(coffer):
    ssm = coffer.client("ssm")
    ssm.put_parameter(Name="plain", Value="v1", Type="String")
    assert ssm.get_parameter(Name="/plain")["Parameter"]["Value"] == "v1"
    fails(lambda: ssm.put_parameter(Name="/plain", Value="v2", Type="String"), "ParameterAlreadyExists")
    assert ssm.put_parameter(Name="/plain", Value="v2", Type="String", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name="plain")["Parameter"]["Value"] == "v2"
    assert ssm.get_parameter(Name="arn:aws:ssm:us-east-1:" + coffer.client("sts").get_caller_identity()["Account"] + ":parameter/plain")[
        "Parameter"]["Value"] == "v2"
    assert [p["Name"] for p in ssm.get_parameters_by_path(Path="/")["Parameters"]] == ["plain"]


def test_kms_dry_run_and_multi_region_key_ids(coffer):
    kms = coffer.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    fails(lambda: kms.encrypt(KeyId=key, Plaintext=b"x", DryRun=True), "DryRunOperationException")
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    fails(lambda: kms.decrypt(CiphertextBlob=blob, DryRun=True), "DryRunOperationException")
    fails(lambda: kms.create_grant(KeyId=key, GranteePrincipal="arn:aws:iam::123456789012:root", Operations=["Decrypt"], DryRun=True),
          "DryRunOperationException")
    assert kms.list_grants(KeyId=key)["Grants"] == []
    message = fails(lambda: kms.describe_key(KeyId="mrk-1234abcd12ab34cd56ef1234567890ab"), "NotFoundException")
    assert message.endswith("key/mrk-1234abcd12ab34cd56ef1234567890ab' does not exist")
    fails(lambda: kms.describe_key(KeyId="not-a-key"), "NotFoundException", "Invalid keyId")


def test_expiration_notification_is_sent_as_an_event(binary, tmp_path):
    from conftest import Coffer
    config = tmp_path / "coffer.json"
    config.write_text(json.dumps({"purgeIntervalSeconds": 0.5}))
    node = Coffer(binary, tmp_path / "data", args=["--config", str(config)]).start()
    try:
        ssm = node.client("ssm")
        policies = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": iso(3600 + 2)}},
                    {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "1", "Unit": "Hours"}}]
        ssm.put_parameter(Name="/app/cert", Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies))
        trail = node.client("cloudtrail")
        deadline = time.monotonic() + 15
        events = []
        while time.monotonic() < deadline and not events:
            time.sleep(0.5)
            events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ExpirationNotification"}])["Events"]
        assert len(events) == 1
        record = json.loads(events[0]["CloudTrailEvent"])
        assert record["eventSource"] == "ssm.amazonaws.com" and record["additionalEventData"]["parameter-name"] == "/app/cert"
        time.sleep(1.5)
        # Sent once, and the parameter is still there until its Expiration.
        assert len(trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ExpirationNotification"}])["Events"]) == 1
        assert ssm.get_parameter(Name="/app/cert")["Parameter"]["Value"] == "v"
    finally:
        node.stop()


def test_multi_region_keys_share_material_across_regions(coffer):
    east, west = coffer.client("kms", region="us-east-1"), coffer.client("kms", region="eu-west-1")
    key = east.create_key(MultiRegion=True, Description="shared")["KeyMetadata"]
    assert key["KeyId"].startswith("mrk-") and key["MultiRegion"] is True
    assert key["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY" and key["MultiRegionConfiguration"]["ReplicaKeys"] == []
    blob = east.encrypt(KeyId=key["KeyId"], Plaintext=b"across regions", EncryptionContext={"app": "x"})["CiphertextBlob"]
    replica = east.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    assert replica["Arn"] == key["Arn"].replace("us-east-1", "eu-west-1") and replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    # Description and key policy are not shared: unnamed, the replica has "" and the default policy.
    assert replica["Description"] == ""
    own = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{key['AWSAccountId']}:root"},
         "Action": "kms:*", "Resource": "*"}, {"Sid": "Primary only", "Effect": "Deny", "Principal": "*", "Action": "kms:Sign", "Resource": "*"}]}
    custom = east.create_key(MultiRegion=True, Description="custom", Policy=json.dumps(own))["KeyMetadata"]
    east.replicate_key(KeyId=custom["KeyId"], ReplicaRegion="eu-west-1", Description="the west copy")
    assert west.describe_key(KeyId=custom["KeyId"])["KeyMetadata"]["Description"] == "the west copy"
    replica_policy = json.loads(west.get_key_policy(KeyId=custom["KeyId"], PolicyName="default")["Policy"])
    assert [s["Sid"] for s in replica_policy["Statement"]] == ["Enable IAM User Permissions"]
    assert west.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "x"})["Plaintext"] == b"across regions"
    described = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert described["ReplicaKeys"] == [{"Arn": replica["Arn"], "Region": "eu-west-1"}]
    fails(lambda: east.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1"), "AlreadyExistsException")
    plain = east.create_key()["KeyMetadata"]["KeyId"]
    fails(lambda: east.replicate_key(KeyId=plain, ReplicaRegion="eu-west-1"), "UnsupportedOperationException")
    # A rotation of the primary reaches the replica.
    east.rotate_key_on_demand(KeyId=key["KeyId"])
    newer = east.encrypt(KeyId=key["KeyId"], Plaintext=b"after rotation")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=newer)["Plaintext"] == b"after rotation"
    back = west.encrypt(KeyId=key["KeyId"], Plaintext=b"from the replica")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"from the replica"
    east.update_primary_region(KeyId=key["KeyId"], PrimaryRegion="eu-west-1")
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
