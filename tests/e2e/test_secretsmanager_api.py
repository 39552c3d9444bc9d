"""Secrets Manager's semantics through boto3, against AWS's documented behaviour."""
import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError, ParamValidationError

import sigv4
from conftest import fails




def test_lookup_by_name_full_arn_and_partial_arn(sm):
    arn = sm.create_secret(Name="app/db", SecretString="v1")["ARN"]
    partial = arn.rsplit("-", 1)[0]
    for secret_id in ("app/db", arn, partial):
        assert sm.get_secret_value(SecretId=secret_id)["SecretString"] == "v1"
    fails(lambda: sm.get_secret_value(SecretId=arn[:-1] + ("x" if arn[-1] != "x" else "y")), "ResourceNotFoundException")
    fails(lambda: sm.get_secret_value(SecretId="app/none"), "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret.")


def test_versions_and_staging_labels(sm):
    first = sm.create_secret(Name="staged", SecretString="one")["VersionId"]
    second = sm.put_secret_value(SecretId="staged", SecretString="two")["VersionId"]
    pending = sm.put_secret_value(SecretId="staged", SecretString="three", VersionStages=["AWSPENDING"])
    assert pending["VersionStages"] == ["AWSPENDING"]
    stages = sm.describe_secret(SecretId="staged")["VersionIdsToStages"]
    assert stages == {first: ["AWSPREVIOUS"], second: ["AWSCURRENT"], pending["VersionId"]: ["AWSPENDING"]}
    assert sm.get_secret_value(SecretId="staged", VersionStage="AWSPENDING")["SecretString"] == "three"
    assert sm.get_secret_value(SecretId="staged", VersionId=first)["SecretString"] == "one"
    fails(lambda: sm.get_secret_value(SecretId="staged", VersionId=first, VersionStage="AWSCURRENT"), "InvalidRequestException")
    fails(lambda: sm.get_secret_value(SecretId="staged", VersionStage="NOPE"), "ResourceNotFoundException", "staging label: NOPE")

    fails(lambda: sm.update_secret_version_stage(SecretId="staged", VersionStage="AWSCURRENT", MoveToVersionId=pending["VersionId"]),
          "InvalidParameterException", "RemoveFromVersionId")
    sm.update_secret_version_stage(SecretId="staged", VersionStage="AWSCURRENT", MoveToVersionId=pending["VersionId"],
                                   RemoveFromVersionId=second)
    stages = sm.describe_secret(SecretId="staged")["VersionIdsToStages"]
    assert sorted(stages[pending["VersionId"]]) == ["AWSCURRENT", "AWSPENDING"]
    assert stages[second] == ["AWSPREVIOUS"]
    assert first not in stages
    assert sm.get_secret_value(SecretId="staged")["SecretString"] == "three"

    listed = sm.list_secret_version_ids(SecretId="staged")["Versions"]
    assert {v["VersionId"] for v in listed} == {second, pending["VersionId"]}
    all_versions = sm.list_secret_version_ids(SecretId="staged", IncludeDeprecated=True)["Versions"]
    deprecated = [v for v in all_versions if v["VersionId"] == first][0]
    assert "VersionStages" not in deprecated and "CreatedDate" in deprecated


def test_first_version_is_current_whatever_labels_it_asked_for(sm):
    # PutSecretValue: "If this operation creates the first version for the secret, then Secrets
    # Manager automatically attaches the staging label AWSCURRENT to it."
    sm.create_secret(Name="empty-first")
    first = sm.put_secret_value(SecretId="empty-first", SecretString="one", VersionStages=["AWSPENDING"])
    assert first["VersionStages"] == ["AWSPENDING", "AWSCURRENT"]
    got = sm.get_secret_value(SecretId="empty-first")
    assert got["VersionId"] == first["VersionId"] and got["SecretString"] == "one"
    # Only the first: a second version with its own label leaves AWSCURRENT where it is.
    second = sm.put_secret_value(SecretId="empty-first", SecretString="two", VersionStages=["CANARY"])
    assert second["VersionStages"] == ["CANARY"]
    stages = sm.describe_secret(SecretId="empty-first")["VersionIdsToStages"]
    assert stages == {first["VersionId"]: ["AWSPENDING", "AWSCURRENT"], second["VersionId"]: ["CANARY"]}


def test_a_new_current_clears_a_finished_rotations_pending(sm):
    # As recorded from AWS in LocalStack's validated snapshots (test_secretsmanager.snapshot.json): a
    # version holding AWSCURRENT and AWSPENDING (a finished rotation) keeps only AWSPREVIOUS when
    # PutSecretValue makes a new current. (The snapshots sort labels before comparing, so they say
    # nothing of the labels' order; Coffer answers them in the order they were attached.)
    first = sm.create_secret(Name="pending-left", SecretString="Something1")
    pending = sm.put_secret_value(SecretId="pending-left", SecretString="Something2", VersionStages=["AWSPENDING"])
    sm.update_secret_version_stage(SecretId="pending-left", VersionStage="AWSCURRENT",
                                   RemoveFromVersionId=first["VersionId"], MoveToVersionId=pending["VersionId"])
    listed = {v["VersionId"]: v["VersionStages"] for v in sm.list_secret_version_ids(SecretId="pending-left")["Versions"]}
    assert sorted(listed[pending["VersionId"]]) == ["AWSCURRENT", "AWSPENDING"]
    third = sm.put_secret_value(SecretId="pending-left", SecretString="SS3")
    listed = {v["VersionId"]: v["VersionStages"] for v in sm.list_secret_version_ids(SecretId="pending-left")["Versions"]}
    assert listed == {pending["VersionId"]: ["AWSPREVIOUS"], third["VersionId"]: ["AWSCURRENT"]}
    # A pending version of a rotation still under way is another version's: it keeps its label.
    fourth = sm.put_secret_value(SecretId="pending-left", SecretString="S4", VersionStages=["AWSPENDING"])
    sm.put_secret_value(SecretId="pending-left", SecretString="S5")
    listed = {v["VersionId"]: v["VersionStages"] for v in sm.list_secret_version_ids(SecretId="pending-left")["Versions"]}
    assert listed[fourth["VersionId"]] == ["AWSPENDING"]


def test_client_request_token_idempotency(sm):
    token = str(uuid.uuid4())
    a = sm.create_secret(Name="idem", SecretString="v", ClientRequestToken=token)
    b = sm.create_secret(Name="idem", SecretString="v", ClientRequestToken=token)
    assert a["ARN"] == b["ARN"] and a["VersionId"] == b["VersionId"] == token
    fails(lambda: sm.create_secret(Name="idem", SecretString="other", ClientRequestToken=token), "ResourceExistsException")
    fails(lambda: sm.create_secret(Name="idem", SecretString="v"), "ResourceExistsException", "already exists")
    put_token = str(uuid.uuid4())
    sm.put_secret_value(SecretId="idem", SecretString="w", ClientRequestToken=put_token)
    sm.put_secret_value(SecretId="idem", SecretString="w", ClientRequestToken=put_token)
    fails(lambda: sm.put_secret_value(SecretId="idem", SecretString="x", ClientRequestToken=put_token), "ResourceExistsException")
    assert len(sm.list_secret_version_ids(SecretId="idem", IncludeDeprecated=True)["Versions"]) == 2


def test_binary_secrets_and_the_size_limit(sm):
    blob = bytes(range(256)) * 256
    sm.create_secret(Name="bin", SecretBinary=blob)
    got = sm.get_secret_value(SecretId="bin")
    assert got["SecretBinary"] == blob and "SecretString" not in got
    sm.put_secret_value(SecretId="bin", SecretString="s" * 65536)
    assert len(sm.get_secret_value(SecretId="bin")["SecretString"]) == 65536
    message = fails(lambda: sm.put_secret_value(SecretId="bin", SecretString="canary-" + "s" * 65536), "ValidationException")
    assert "canary" not in message
    fails(lambda: sm.put_secret_value(SecretId="bin", SecretBinary=b"x" * 65537), "ValidationException")
    fails(lambda: sm.put_secret_value(SecretId="bin"), "InvalidRequestException", "You must provide either SecretString or SecretBinary.")
    fails(lambda: sm.create_secret(Name="both", SecretString="a", SecretBinary=b"b"), "InvalidParameterException",
          "You can't specify both a binary secret value and a string secret value in the same secret.")
    fails(lambda: sm.describe_secret(SecretId="both"), "ResourceNotFoundException")


def test_a_secret_id_outside_the_name_characters_is_a_validation_error(sm):
    # AWS checks a SecretId that is not an ARN against the name's characters before looking it up
    # (LocalStack's snapshot of AWS's answers: ValidationException for each of these calls).
    message = "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
    sm.create_secret(Name="valid/_+=.@-name", SecretString="v")
    for bad in ["Inv Name", " Inv*Name? ", "Inv]Name\\-", "name!"]:
        calls = [lambda: sm.create_secret(Name=bad, SecretString="v"), lambda: sm.describe_secret(SecretId=bad),
                 lambda: sm.get_secret_value(SecretId=bad), lambda: sm.put_secret_value(SecretId=bad, SecretString="v"),
                 lambda: sm.delete_secret(SecretId=bad, ForceDeleteWithoutRecovery=True),
                 lambda: sm.list_secret_version_ids(SecretId=bad), lambda: sm.update_secret(SecretId=bad, Description="d"),
                 lambda: sm.tag_resource(SecretId=bad, Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: sm.untag_resource(SecretId=bad, TagKeys=["k"])]
        for call in calls:
            error = fails(call, "ValidationException")
            assert error == message
    assert sm.describe_secret(SecretId="valid/_+=.@-name")["Name"] == "valid/_+=.@-name"
    # An ARN is looked up, not checked against the name's characters.
    fails(lambda: sm.describe_secret(SecretId="arn:aws:secretsmanager:us-east-1:000000000000:secret:no such"),
          "ResourceNotFoundException")
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == ["valid/_+=.@-name"]


def test_bad_input_is_refused_and_changes_nothing(sm, coffer):
    fails(lambda: sm.create_secret(Name="bad name!", SecretString="v"), "ValidationException", "Invalid name")
    fails(lambda: sm.create_secret(Name="n" * 513, SecretString="v"), "ValidationException", "512")
    fails(lambda: sm.create_secret(Name="desc", Description="d" * 2049), "ValidationException")
    fails(lambda: sm.create_secret(Name="tags", Tags=[{"Key": "aws:reserved", "Value": "x"}]), "InvalidParameterException")
    fails(lambda: sm.create_secret(Name="tags", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]), "InvalidParameterException")
    fails(lambda: sm.list_secrets(MaxResults=101), "ValidationException")
    fails(lambda: sm.list_secrets(Filters=[{"Key": "name", "Values": ["bad#value"]}]), "ValidationException")
    assert sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
    key, secret = coffer.root_credentials()
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.CreateSecret", {}, key, secret, raw=b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.CreateSecret", {"Name": 5}, key, secret)
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.CreateSecret", {}, key, secret)
    assert (status, body["__type"]) == (400, "ValidationException")
    assert sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []


def test_delete_restore_and_force_delete(sm):
    sm.create_secret(Name="del", SecretString="v")
    fails(lambda: sm.delete_secret(SecretId="del", RecoveryWindowInDays=6), "InvalidParameterException",
          "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    fails(lambda: sm.delete_secret(SecretId="del", RecoveryWindowInDays=31), "InvalidParameterException")
    fails(lambda: sm.delete_secret(SecretId="del", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True), "InvalidParameterException")
    deleted = sm.delete_secret(SecretId="del", RecoveryWindowInDays=7)
    described = sm.describe_secret(SecretId="del")
    assert "DeletedDate" in described
    assert (deleted["DeletionDate"] - described["DeletedDate"]).days == 7
    fails(lambda: sm.get_secret_value(SecretId="del"), "InvalidRequestException", "currently marked deleted")
    fails(lambda: sm.put_secret_value(SecretId="del", SecretString="x"), "InvalidRequestException")
    fails(lambda: sm.create_secret(Name="del", SecretString="x"), "InvalidRequestException", "scheduled for deletion")
    assert sm.list_secrets()["SecretList"] == []
    assert [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]] == ["del"]
    sm.restore_secret(SecretId="del")
    assert sm.get_secret_value(SecretId="del")["SecretString"] == "v"
    assert "DeletedDate" not in sm.describe_secret(SecretId="del")
    sm.delete_secret(SecretId="del", ForceDeleteWithoutRecovery=True)
    fails(lambda: sm.describe_secret(SecretId="del"), "ResourceNotFoundException")
    # Forcing the deletion of a secret that is already gone is not an error, as on AWS.
    assert sm.delete_secret(SecretId="del", ForceDeleteWithoutRecovery=True)["Name"] == "del"
    fails(lambda: sm.delete_secret(SecretId="del"), "ResourceNotFoundException")
    new_arn = sm.create_secret(Name="del", SecretString="again")["ARN"]
    assert sm.get_secret_value(SecretId=new_arn)["SecretString"] == "again"


def test_list_secrets_filters_sort_and_pagination(sm):
    for i in range(7):
        sm.create_secret(Name=f"svc/item-{i}", Description=f"Item number {i}",
                         Tags=[{"Key": "Team", "Value": "red" if i % 2 else "blue"}])
    sm.create_secret(Name="other/thing", Description="Unrelated")
    names, token = [], None
    while True:
        kwargs = {"Filters": [{"Key": "name", "Values": ["svc/"]}], "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = sm.list_secrets(**kwargs)
        assert len(page["SecretList"]) <= 3
        names += [s["Name"] for s in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == [f"svc/item-{i}" for i in range(7)]
    red = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["red"]}])["SecretList"]
    assert sorted(s["Name"] for s in red) == ["svc/item-1", "svc/item-3", "svc/item-5"]
    not_svc = sm.list_secrets(Filters=[{"Key": "name", "Values": ["!svc"]}])["SecretList"]
    assert [s["Name"] for s in not_svc] == ["other/thing"]
    words = sm.list_secrets(Filters=[{"Key": "description", "Values": ["unrelated"]}])["SecretList"]
    assert [s["Name"] for s in words] == ["other/thing"]
    both = sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["Team"]}, {"Key": "tag-value", "Values": ["blue"]}])
    assert len(both["SecretList"]) == 4
    desc = sm.list_secrets(SortOrder="desc", SortBy="name")["SecretList"]
    assert [s["Name"] for s in desc] == sorted([s["Name"] for s in desc], reverse=True)
    paginator = sm.get_paginator("list_secrets")
    assert sum(len(p["SecretList"]) for p in paginator.paginate(PaginationConfig={"PageSize": 2})) == 8


def list_all(sm, page_size, **kwargs):
    names, token = [], None
    while True:
        page = sm.list_secrets(MaxResults=page_size, **kwargs, **({"NextToken": token} if token else {}))
        assert len(page["SecretList"]) <= page_size
        names += [s["Name"] for s in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            return names


def test_list_secrets_pages_through_many_secrets_in_every_order(sm):
    """Pages are read from the store a page at a time (by creation, name, last change or last access): reading every page
    gives each secret once, in the order asked, with filters, and a secret removed between pages
    does not disturb the listing."""
    created = [f"many/{(i * 7919) % 1000:03d}-{i}" for i in range(230)]
    for i, name in enumerate(created):
        sm.create_secret(Name=name, Tags=[{"Key": "bucket", "Value": f"b{i % 50}"}])
    assert list_all(sm, 100) == created
    assert list_all(sm, 7, SortBy="name") == sorted(created)
    assert list_all(sm, 9, SortBy="name", SortOrder="desc") == sorted(created, reverse=True)
    assert list_all(sm, 11, SortOrder="desc") == created[::-1]
    assert list_all(sm, 2, Filters=[{"Key": "tag-value", "Values": ["b7"]}]) == [n for i, n in enumerate(created) if i % 50 == 7]
    assert list_all(sm, 5, SortBy="name", Filters=[{"Key": "name", "Values": ["many/5"]}]) == sorted(n for n in created if n.startswith("many/5"))
    # The changing dates are indexed too, and the index follows each write.
    for name in created[50:55]:
        sm.update_secret(SecretId=name, Description="touched")
    by_change = []
    token = None
    while True:
        page = sm.list_secrets(MaxResults=13, SortBy="last-changed-date", **({"NextToken": token} if token else {}))
        by_change += [(s["LastChangedDate"], s["Name"]) for s in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            break
    # The wire carries milliseconds and the store orders by the full date: two writes in one
    # millisecond may come in either name order, so only the dates must be in order.
    dates = [d for d, _ in by_change]
    assert sorted(n for _, n in by_change) == sorted(created) and dates == sorted(dates)
    assert [n for _, n in by_change[-5:]] == created[50:55]
    for name in created[:3]:
        sm.put_secret_value(SecretId=name, SecretString="v")
        sm.get_secret_value(SecretId=name)
    accessed = list_all(sm, 17, SortBy="last-accessed-date", SortOrder="desc")
    assert sorted(accessed[:3]) == sorted(created[:3]) and sorted(accessed) == sorted(created)
    first = sm.list_secrets(MaxResults=10)
    sm.delete_secret(SecretId=created[9], ForceDeleteWithoutRecovery=True)
    second = sm.list_secrets(MaxResults=10, NextToken=first["NextToken"])
    assert [s["Name"] for s in second["SecretList"]] == created[10:20]
    # A token is good for the order it was made in only; garbage is refused as AWS refuses it.
    by_name = sm.list_secrets(MaxResults=3, SortBy="name")
    fails(lambda: sm.list_secrets(NextToken=by_name["NextToken"]), "InvalidNextTokenException")
    fails(lambda: sm.list_secrets(NextToken="bm90IGEgdG9rZW4="), "InvalidNextTokenException")


def test_batch_get_secret_value(sm):
    sm.create_secret(Name="batch/a", SecretString="A")
    sm.create_secret(Name="batch/b", SecretString="B")
    result = sm.batch_get_secret_value(SecretIdList=["batch/a", "batch/b", "batch/missing"])
    assert sorted(v["SecretString"] for v in result["SecretValues"]) == ["A", "B"]
    assert result["Errors"] == [{"SecretId": "batch/missing", "ErrorCode": "ResourceNotFoundException",
                                 "Message": "Secrets Manager can't find the specified secret."}]
    filtered = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["batch/"]}], MaxResults=1)
    assert len(filtered["SecretValues"]) == 1 and "NextToken" in filtered
    rest = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["batch/"]}], MaxResults=1, NextToken=filtered["NextToken"])
    assert {filtered["SecretValues"][0]["Name"], rest["SecretValues"][0]["Name"]} == {"batch/a", "batch/b"}
    fails(lambda: sm.batch_get_secret_value(SecretIdList=["batch/a"], Filters=[{"Key": "name", "Values": ["b"]}]),
          "InvalidParameterException")


def test_update_secret(sm, coffer):
    kms = coffer.client("kms")
    kms.create_alias(AliasName="alias/my-key", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    created = sm.create_secret(Name="upd", SecretString="v1", Description="before")
    meta_only = sm.update_secret(SecretId="upd", Description="after", KmsKeyId="alias/my-key")
    assert "VersionId" not in meta_only
    described = sm.describe_secret(SecretId="upd")
    assert described["Description"] == "after" and described["KmsKeyId"] == "alias/my-key"
    new = sm.update_secret(SecretId="upd", SecretString="v2")
    assert new["VersionId"] != created["VersionId"]
    assert sm.get_secret_value(SecretId="upd")["SecretString"] == "v2"
    assert sm.get_secret_value(SecretId="upd", VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    # A value and the metadata in one call: both land (the description and key were dropped when a value came too).
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    third = sm.update_secret(SecretId="upd", SecretString="v3", Description="with a value", KmsKeyId=key)
    described = sm.describe_secret(SecretId="upd")
    assert described["Description"] == "with a value" and described["KmsKeyId"] == key
    assert sm.get_secret_value(SecretId="upd")["SecretString"] == "v3"
    versions = {v["VersionId"]: v for v in sm.list_secret_version_ids(SecretId="upd")["Versions"]}
    assert versions[third["VersionId"]]["KmsKeyIds"][0].endswith(key)


def test_list_secrets_all_filter_matches_words_as_aws_cuts_them(sm):
    # Capitals start words; one kind of separator cuts a name, two kinds keep it whole; a separator
    # alone is no word. (The cases moto's ListSecrets tests verified against AWS.)
    for name, description in [("SecretOne", None), ("SecretTwo", "DescTwo"), ("Thirdsecret", None),
                              ("prod/AppBeta/x", None), ("prod-AppBeta/x", None), ("uat/COMPANY/x", None),
                              ("uat/COMPANYthings/x", None)]:
        sm.create_secret(Name=name, SecretString="s", **({"Description": description} if description else {}))

    def found(value):
        return sorted(s["Name"] for s in sm.list_secrets(Filters=[{"Key": "all", "Values": [value]}])["SecretList"])

    assert found("secret") == ["SecretOne", "SecretTwo"]
    assert found("d t") == ["SecretTwo"]
    assert found("Beta") == ["prod/AppBeta/x"]
    assert found("company") == ["uat/COMPANY/x"]
    assert found("Ythings") == ["uat/COMPANYthings/x"]
    assert found("things") == [] and found("pany") == [] and found("+") == []


def test_tags(sm):
    sm.create_secret(Name="tagged", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId="tagged", TagKeys=["a"])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [{"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId="tagged", TagKeys=["b"])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [], "a secret that had tags keeps an empty list"
    sm.create_secret(Name="never-tagged")
    assert "Tags" not in sm.describe_secret(SecretId="never-tagged")
    fails(lambda: sm.tag_resource(SecretId="nope", Tags=[{"Key": "a", "Value": "1"}]), "ResourceNotFoundException")


def test_resource_policies(sm):
    arn = sm.create_secret(Name="pol", SecretString="v")["ARN"]
    account = arn.split(":")[4]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")
    sm.put_resource_policy(SecretId="pol", ResourcePolicy=policy, BlockPublicPolicy=True)
    assert json.loads(sm.get_resource_policy(SecretId="pol")["ResourcePolicy"]) == json.loads(policy)
    public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                               "Action": "secretsmanager:*", "Resource": "*"}]})
    fails(lambda: sm.put_resource_policy(SecretId="pol", ResourcePolicy=public, BlockPublicPolicy=True), "PublicPolicyException")
    fails(lambda: sm.put_resource_policy(SecretId="pol", ResourcePolicy="{not json"), "MalformedPolicyDocumentException")
    assert sm.validate_resource_policy(ResourcePolicy=policy)["PolicyValidationPassed"] is True
    invalid = sm.validate_resource_policy(ResourcePolicy='{"Statement": [{"Effect": "Allow"}]}')
    assert invalid["PolicyValidationPassed"] is False and invalid["ValidationErrors"]
    sm.delete_resource_policy(SecretId="pol")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")


def test_the_account_root_is_refused_only_by_an_explicit_deny_in_the_resource_policy(sm):
    arn = sm.create_secret(Name="root-policy", SecretString="v")["ARN"]
    account = arn.split(":")[4]

    def policy(*statements):
        return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})

    deny_read = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    sm.put_resource_policy(SecretId="root-policy", ResourcePolicy=policy(deny_read))
    # Asked twice: the second answer comes from the decision remembered for this policy.
    for _ in range(2):
        fails(lambda: sm.get_secret_value(SecretId="root-policy"), "AccessDeniedException", f"arn:aws:iam::{account}:root")
    assert sm.describe_secret(SecretId="root-policy")["Name"] == "root-policy"
    # Another policy text, another decision.
    deny_delete = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "secretsmanager:DeleteSecret", "Resource": "*"}
    sm.put_resource_policy(SecretId="root-policy", ResourcePolicy=policy(deny_delete))
    for _ in range(2):
        assert sm.get_secret_value(SecretId="root-policy")["SecretString"] == "v"
    fails(lambda: sm.delete_secret(SecretId="root-policy"), "AccessDeniedException")
    # A deny with a condition is decided by the request: this one's source address matches, then not.
    for cidr, denied in (("127.0.0.1/32", True), ("10.0.0.0/8", False)):
        conditional = dict(deny_read, Condition={"IpAddress": {"aws:SourceIp": cidr}})
        sm.put_resource_policy(SecretId="root-policy", ResourcePolicy=policy(conditional))
        for _ in range(2):
            if denied:
                fails(lambda: sm.get_secret_value(SecretId="root-policy"), "AccessDeniedException")
            else:
                assert sm.get_secret_value(SecretId="root-policy")["SecretString"] == "v"
    sm.delete_resource_policy(SecretId="root-policy")
    assert sm.get_secret_value(SecretId="root-policy")["SecretString"] == "v"


def test_get_random_password(sm):
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    password = sm.get_random_password(PasswordLength=50, ExcludePunctuation=True, ExcludeCharacters="aeiou")["RandomPassword"]
    assert len(password) == 50 and password.isalnum() and not set(password) & set("aeiou")
    digits = sm.get_random_password(PasswordLength=12, ExcludeLowercase=True, ExcludeUppercase=True,
                                    ExcludePunctuation=True)["RandomPassword"]
    assert digits.isdigit()
    fails(lambda: sm.get_random_password(PasswordLength=4097), "ValidationException")
    fails(lambda: sm.get_random_password(ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True,
                                         ExcludeNumbers=True), "InvalidParameterException")


def test_many_versions_are_pruned_to_about_one_hundred(sm):
    sm.create_secret(Name="churn", SecretString="0")
    for i in range(1, 106):
        sm.put_secret_value(SecretId="churn", SecretString=str(i))
    versions = sm.list_secret_version_ids(SecretId="churn", IncludeDeprecated=True, MaxResults=100)
    total = len(versions["Versions"])
    if "NextToken" in versions:
        total += len(sm.list_secret_version_ids(SecretId="churn", IncludeDeprecated=True, NextToken=versions["NextToken"])["Versions"])
    assert total == 100
    assert sm.get_secret_value(SecretId="churn")["SecretString"] == "105"
    assert sm.get_secret_value(SecretId="churn", VersionStage="AWSPREVIOUS")["SecretString"] == "104"


def test_a_secret_without_value_and_filter_errors(sm):
    created = sm.create_secret(Name="empty")
    assert set(created) == {"ARN", "Name", "ResponseMetadata"}
    assert set(sm.describe_secret(SecretId="empty")) == {"ARN", "Name", "LastChangedDate", "CreatedDate", "ResponseMetadata"}
    fails(lambda: sm.get_secret_value(SecretId="empty"), "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")
    fails(lambda: sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["empty"]}]), "ResourceNotFoundException")
    fails(lambda: sm.list_secrets(Filters=[{"Values": ["foo"]}]), "InvalidParameterException", "Invalid filter key")
    assert fails(lambda: sm.list_secrets(Filters=[{"Key": "invalid", "Values": ["foo"]}]), "ValidationException") == (
        "1 validation error detected: Value 'invalid' at 'filters.1.member.key' failed to satisfy constraint: "
        "Member must satisfy enum value set: [all, name, tag-key, description, tag-value]")
    # The window is checked before the conflict with ForceDeleteWithoutRecovery.
    fails(lambda: sm.delete_secret(SecretId="empty", RecoveryWindowInDays=2, ForceDeleteWithoutRecovery=True),
          "InvalidParameterException", "RecoveryWindowInDays value must be between 7 and 30 days (inclusive)")
    assert " " in sm.get_random_password(PasswordLength=4, IncludeSpace=True)["RandomPassword"]
    fails(lambda: sm.get_random_password(PasswordLength=3), "InvalidParameterException")


def test_raw_calls_that_make_a_version_need_a_client_request_token(coffer):
    """The SDKs fill ClientRequestToken in; AWS refuses a raw call that makes a version without one."""
    key, secret = coffer.root_credentials()
    message = "You must provide a ClientRequestToken value. We recommend a UUID-type value."
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.CreateSecret", {"Name": "raw", "SecretString": "v"}, key, secret)
    assert status == 400 and body["__type"] == "InvalidRequestException" and body["Message"] == message
    # No value, no version: no token needed.
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.CreateSecret", {"Name": "raw"}, key, secret)
    assert status == 200, body
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.PutSecretValue", {"SecretId": "raw", "SecretString": "v"}, key, secret)
    assert status == 400 and body["Message"] == message
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.UpdateSecret", {"SecretId": "raw", "Description": "d"}, key, secret)
    assert status == 200, body
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.PutSecretValue",
                                        {"SecretId": "raw", "SecretString": "v", "ClientRequestToken": "0" * 32}, key, secret)
    assert status == 200 and body["VersionId"] == "0" * 32
