"""Secrets Manager replication: every region is local, so a replica is a real, readable, read-only secret in the
other region, kept in step with its primary and promotable."""
import json

from conftest import fails, file_contents

REPLICA_REFUSED = "Operation not permitted on a replica secret. Call must be made in primary secret's region."


def test_replica_is_readable_in_its_region_and_follows_the_primary(coffer):
    east, west = coffer.client(region="us-east-1"), coffer.client(region="us-west-2")
    made = east.create_secret(Name="app/db", SecretString="v1", Tags=[{"Key": "team", "Value": "a"}],
                              AddReplicaRegions=[{"Region": "us-west-2"}])
    assert made["ReplicationStatus"] == [{"Region": "us-west-2", "KmsKeyId": "alias/aws/secretsmanager", "Status": "InSync",
                                          "StatusMessage": "Replication succeeded"}]
    replica_arn = made["ARN"].replace("us-east-1", "us-west-2")
    read = west.get_secret_value(SecretId="app/db")
    assert read["SecretString"] == "v1" and read["ARN"] == replica_arn and read["VersionId"] == made["VersionId"]
    described = west.describe_secret(SecretId=replica_arn)
    assert described["PrimaryRegion"] == "us-east-1" and described["Tags"] == [{"Key": "team", "Value": "a"}]
    assert "ReplicationStatus" not in described
    primary = east.describe_secret(SecretId="app/db")
    assert primary["PrimaryRegion"] == "us-east-1" and primary["ReplicationStatus"][0]["Region"] == "us-west-2"

    # The primary's changes reach the replica: a new value, a description, a stage move, tags.
    second = east.put_secret_value(SecretId="app/db", SecretString="v2")["VersionId"]
    east.update_secret(SecretId="app/db", Description="the database")
    east.tag_resource(SecretId="app/db", Tags=[{"Key": "env", "Value": "prod"}])
    assert west.get_secret_value(SecretId="app/db")["SecretString"] == "v2"
    assert west.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    described = west.describe_secret(SecretId="app/db")
    assert described["Description"] == "the database" and {"Key": "env", "Value": "prod"} in described["Tags"]
    assert described["VersionIdsToStages"][second] == ["AWSCURRENT"]

    # A replica is read-only.
    fails(lambda: west.put_secret_value(SecretId="app/db", SecretString="x"), "InvalidParameterException", REPLICA_REFUSED)
    fails(lambda: west.update_secret(SecretId="app/db", Description="x"), "InvalidParameterException", REPLICA_REFUSED)
    fails(lambda: west.tag_resource(SecretId="app/db", Tags=[{"Key": "k", "Value": "v"}]), "InvalidParameterException", REPLICA_REFUSED)
    fails(lambda: west.delete_secret(SecretId="app/db"), "InvalidParameterException", REPLICA_REFUSED)
    fails(lambda: west.put_resource_policy(SecretId="app/db", ResourcePolicy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]})),
        "InvalidParameterException", REPLICA_REFUSED)
    # The replica is refused before its document is read.
    fails(lambda: west.put_resource_policy(SecretId="app/db", ResourcePolicy="not a policy"), "InvalidParameterException", REPLICA_REFUSED)
    assert west.get_secret_value(SecretId="app/db")["SecretString"] == "v2"
    # And a replicated primary cannot be deleted until its replicas are removed.
    fails(lambda: east.delete_secret(SecretId="app/db"), "InvalidParameterException", "that still has replica regions [us-west-2]")

    # The filter AWS offers for it.
    listed = west.list_secrets(Filters=[{"Key": "primary-region", "Values": ["us-east-1"]}])["SecretList"]
    assert [s["Name"] for s in listed] == ["app/db"] and listed[0]["PrimaryRegion"] == "us-east-1"

    # Removing the region removes the replica.
    left = east.remove_regions_from_replication(SecretId="app/db", RemoveReplicaRegions=["us-west-2"])
    assert left["ReplicationStatus"] == []
    fails(lambda: west.get_secret_value(SecretId="app/db"), "ResourceNotFoundException")
    # Removing it again changes nothing and is no error.
    again = east.remove_regions_from_replication(SecretId="app/db", RemoveReplicaRegions=["us-west-2"])
    assert again["ReplicationStatus"] == []
    east.delete_secret(SecretId="app/db", ForceDeleteWithoutRecovery=True)


def test_replicate_later_with_a_key_conflicts_and_promotion(coffer):
    east, west, eu = coffer.client(region="us-east-1"), coffer.client(region="us-west-2"), coffer.client(region="eu-west-1")
    key = coffer.client("kms", region="eu-west-1").create_key()["KeyMetadata"]["KeyId"]
    east.create_secret(Name="shared", SecretString="primary-value")
    west.create_secret(Name="shared", SecretString="already-here")
    answer = east.replicate_secret_to_regions(SecretId="shared", AddReplicaRegions=[{"Region": "us-west-2"}, {"Region": "eu-west-1", "KmsKeyId": key}])
    status = {s["Region"]: s for s in answer["ReplicationStatus"]}
    assert status["eu-west-1"]["Status"] == "InSync" and status["eu-west-1"]["KmsKeyId"] == key
    assert status["us-west-2"]["Status"] == "Failed"
    assert "Secret name shared already exists in region us-west-2" in status["us-west-2"]["StatusMessage"]
    assert west.get_secret_value(SecretId="shared")["SecretString"] == "already-here"
    assert eu.get_secret_value(SecretId="shared")["SecretString"] == "primary-value"
    versions = eu.list_secret_version_ids(SecretId="shared")["Versions"]
    assert versions[0]["KmsKeyIds"][0].endswith(key)

    # Force overwrites the standalone secret in the other region.
    east.remove_regions_from_replication(SecretId="shared", RemoveReplicaRegions=["us-west-2"])
    forced = east.replicate_secret_to_regions(SecretId="shared", AddReplicaRegions=[{"Region": "us-west-2"}], ForceOverwriteReplicaSecret=True)
    assert {s["Region"]: s["Status"] for s in forced["ReplicationStatus"]} == {"eu-west-1": "InSync", "us-west-2": "InSync"}
    assert west.get_secret_value(SecretId="shared")["SecretString"] == "primary-value"

    fails(lambda: east.replicate_secret_to_regions(SecretId="shared", AddReplicaRegions=[{"Region": "us-east-1"}]),
          "InvalidParameterException", "Invalid replica region.")
    fails(lambda: east.stop_replication_to_replica(SecretId="shared"), "InvalidRequestException")

    # Promotion: the replica stands alone and may be written; the primary forgets that region.
    eu.stop_replication_to_replica(SecretId="shared")
    assert "PrimaryRegion" not in eu.describe_secret(SecretId="shared")
    eu.put_secret_value(SecretId="shared", SecretString="eu-own")
    assert [s["Region"] for s in east.describe_secret(SecretId="shared")["ReplicationStatus"]] == ["us-west-2"]
    east.put_secret_value(SecretId="shared", SecretString="next")
    assert eu.get_secret_value(SecretId="shared")["SecretString"] == "eu-own"
    assert west.get_secret_value(SecretId="shared")["SecretString"] == "next"


def test_replica_survives_restart_and_is_sealed_at_rest(coffer):
    east = coffer.client(region="us-east-1")
    east.create_secret(Name="durable", SecretString="replicated-canary-8f3a", AddReplicaRegions=[{"Region": "ap-southeast-2"}])
    coffer.kill9()
    coffer.start()
    assert coffer.client(region="ap-southeast-2").get_secret_value(SecretId="durable")["SecretString"] == "replicated-canary-8f3a"
    for path, data in file_contents(coffer.data_dir):
        assert b"replicated-canary-8f3a" not in data, path
