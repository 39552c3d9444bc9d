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
