"""CloudTrail trail management through boto3: AWS's shapes, errors and per-account scoping."""
from conftest import fails


def test_trail_lifecycle(coffer):
    ct = coffer.client("cloudtrail")
    fails(lambda: ct.create_trail(Name="a", S3BucketName="b"), "InvalidTrailNameException")
    fails(lambda: ct.create_trail(Name="bad..name", S3BucketName="b"), "InvalidTrailNameException")
    fails(lambda: ct.create_trail(Name="10.0.0.1", S3BucketName="b"), "InvalidTrailNameException")
    arn = ct.create_trail(Name="audit", S3BucketName="bucket", S3KeyPrefix="logs", EnableLogFileValidation=True)["TrailARN"]
    assert [t["Name"] for t in ct.list_trails()["Trails"]] == ["audit"]
    assert ct.describe_trails(trailNameList=[arn])["trailList"][0]["LogFileValidationEnabled"] is True
    assert ct.describe_trails(trailNameList=["other"])["trailList"] == []
    assert ct.get_trail_status(Name="audit")["IsLogging"] is False
    ct.start_logging(Name=arn)
    status = ct.get_trail_status(Name="audit")
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    ct.stop_logging(Name="audit")
    assert ct.get_trail_status(Name="audit")["IsLogging"] is False
    updated = ct.update_trail(Name="audit", IsMultiRegionTrail=True)
    assert updated["IsMultiRegionTrail"] is True and updated["S3KeyPrefix"] == "logs"
    assert coffer.client("cloudtrail", region="eu-west-1").list_trails()["Trails"] == []
    ct.delete_trail(Name="audit")
    fails(lambda: ct.get_trail(Name="audit"), "TrailNotFoundException", "Unknown trail: ")
    fails(lambda: ct.delete_trail(Name="audit"), "TrailNotFoundException")


def test_list_public_keys_gives_the_digest_signing_key(coffer):
    """ListPublicKeys: the public half of the key the trail's digests are signed with (P-256, as DER), valid from the
    first digest to the last; `coffer audit verify` checks the same signatures."""
    import datetime
    import hashlib
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    trail = coffer.client("cloudtrail")
    assert trail.list_public_keys()["PublicKeyList"] == []  # no digest signed yet
    coffer.client().create_secret(Name="digested", SecretString="x")
    coffer.restart()  # a clean stop signs a digest
    keys = coffer.client("cloudtrail").list_public_keys()["PublicKeyList"]
    assert len(keys) == 1
    key = load_der_public_key(keys[0]["Value"])
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert keys[0]["Fingerprint"] == hashlib.md5(keys[0]["Value"]).hexdigest()
    assert keys[0]["ValidityStartTime"] <= keys[0]["ValidityEndTime"] <= datetime.datetime.now(datetime.timezone.utc)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    assert coffer.client("cloudtrail").list_public_keys(StartTime=later)["PublicKeyList"] == []
    fails(lambda: coffer.client("cloudtrail").list_public_keys(StartTime=later, EndTime=later - datetime.timedelta(days=2)),
          "InvalidTimeRangeException")
