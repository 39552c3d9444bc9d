"""Roles, groups, AssumeRole and temporary credentials."""
import datetime
import json

import pytest
from botocore.exceptions import ClientError

import sigv4
from conftest import Coffer, fails




def trust(principal, external_id=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


READ_SECRETS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"], "Resource": "*"}]})


def user_with_key(iam, name, policy=None):
    user = iam.create_user(UserName=name)["User"]
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return user, key


def test_assume_role_trust_external_id_and_session_policy(coffer):
    iam, sm = coffer.client("iam"), coffer.client()
    sm.create_secret(Name="app/secret", SecretString="role-visible")
    user, key = user_with_key(iam, "deployer")
    role = iam.create_role(RoleName="app-reader", AssumeRolePolicyDocument=trust(user["Arn"], "ext-123"), MaxSessionDuration=7200)["Role"]
    assert role["Arn"].endswith(":role/app-reader") and role["RoleId"].startswith("AROA")
    assert iam.get_role(RoleName="app-reader")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == user["Arn"]
    iam.put_role_policy(RoleName="app-reader", PolicyName="read", PolicyDocument=READ_SECRETS)
    sts = coffer.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1"), "AccessDenied", "sts:AssumeRole")
    fails(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="wrong-id"), "AccessDenied")
    fails(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="ext-123", DurationSeconds=7201), "ValidationError")
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="ext-123", DurationSeconds=3600)
    creds = assumed["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    account = role["Arn"].split(":")[4]
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/app-reader/s1"
    session = dict(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    import boto3
    as_role = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert as_role.get_secret_value(SecretId="app/secret")["SecretString"] == "role-visible"
    fails(lambda: as_role.delete_secret(SecretId="app/secret"), "AccessDeniedException",
          f"User: arn:aws:sts::{account}:assumed-role/app-reader/s1 is not authorized to perform: secretsmanager:DeleteSecret")
    role_sts = boto3.client("sts", endpoint_url=coffer.endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    identity = role_sts.get_caller_identity()
    assert identity["Arn"] == assumed["AssumedRoleUser"]["Arn"] and identity["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
    # A role session has no user for IAM to imply when UserName is left out.
    iam.put_role_policy(RoleName="app-reader", PolicyName="keys", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListAccessKeys", "Resource": "*"}]}))
    role_iam = boto3.client("iam", endpoint_url=coffer.endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert fails(lambda: role_iam.list_access_keys(), "ValidationError") == "Must specify userName when calling with non-User credentials"
    # Without the session token the temporary key is refused; with a wrong one too.
    no_token = coffer.client(**session)
    fails(lambda: no_token.list_secrets(), "UnrecognizedClientException")
    # A session policy narrows the role.
    narrow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]})
    narrowed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2", ExternalId="ext-123", Policy=narrow)["Credentials"]
    limited = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name="us-east-1", aws_access_key_id=narrowed["AccessKeyId"],
                           aws_secret_access_key=narrowed["SecretAccessKey"], aws_session_token=narrowed["SessionToken"])
    assert [s["Name"] for s in limited.list_secrets()["SecretList"]] == ["app/secret"]
    fails(lambda: limited.get_secret_value(SecretId="app/secret"), "AccessDeniedException", "because no session policy allows")
    # Root cannot assume roles.
    fails(lambda: coffer.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="root"), "AccessDenied")
    # Malformed role ARNs and session tags are refused before the role is looked up (LocalStack's AWS-validated snapshots).
    for arn in ["arn:a:::something/test-role", "arn:a:a::aaaaaaaaaa:", "arn::b:::something/test-role", "x" * 20]:
        assert fails(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1"), "ValidationError") == f"{arn} is invalid"
    assert fails(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="ext-123",
                                         Tags=[{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}]), "InvalidParameterValue") == \
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    assert fails(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="ext-123",
                                         Tags=[{"Key": "team", "Value": "a"}], TransitiveTagKeys=["project"]), "InvalidParameterValue") == \
        "The specified transitive tag key must be included in the requested tags."
    federated = coffer.client("sts").get_federation_token(Name="fed-user")
    assert federated["FederatedUser"]["Arn"] == f"arn:aws:sts::{account}:federated-user/fed-user"
    assert federated["FederatedUser"]["FederatedUserId"] == f"{account}:fed-user" and federated["PackedPolicySize"] == 0


def test_temporary_credentials_expire(binary, tmp_path):
    node = Coffer(binary, tmp_path / "expiry").start()
    iam = node.client("iam")
    user, key = user_with_key(iam, "deployer")
    account = user["Arn"].split(":")[4]
    role = iam.create_role(RoleName="short", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:root"))["Role"]
    iam.put_user_policy(UserName="deployer", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
    iam.put_role_policy(RoleName="short", PolicyName="read", PolicyDocument=READ_SECRETS)
    sts = node.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="brief", DurationSeconds=900)["Credentials"]
    status, body = sigv4.signed_request(node.endpoint, "secretsmanager.ListSecrets", {}, creds["AccessKeyId"], creds["SecretAccessKey"],
                                        token=creds["SessionToken"])
    assert status == 200, body
    # Restart the server 20 minutes in the future and sign as a client living there: the session has expired.
    node.stop()
    node.extra_env["COFFER_UNSAFE_CLOCK_OFFSET_SECONDS"] = "1200"
    node.start()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1200)
    status, body = sigv4.signed_request(node.endpoint, "secretsmanager.ListSecrets", {}, creds["AccessKeyId"], creds["SecretAccessKey"],
                                        token=creds["SessionToken"], when=later)
    assert (status, body["__type"]) == (400, "ExpiredTokenException"), body
    assert body["Message"] == "The security token included in the request is expired"
    node.stop()


def test_groups_give_their_members_policies(coffer):
    iam = coffer.client("iam")
    user, key = user_with_key(iam, "member")
    iam.create_group(GroupName="readers")
    fails(lambda: iam.create_group(GroupName="Readers"), "EntityAlreadyExists")
    policy = iam.create_policy(PolicyName="read-secrets", PolicyDocument=READ_SECRETS)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=policy)
    sm = coffer.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: sm.list_secrets(), "AccessDeniedException")
    iam.add_user_to_group(GroupName="readers", UserName="member")
    assert sm.list_secrets()["SecretList"] == []
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="member")["Groups"]] == ["readers"]
    assert [u["UserName"] for u in iam.get_group(GroupName="readers")["Users"]] == ["member"]
    fails(lambda: iam.delete_group(GroupName="readers"), "DeleteConflict")
    iam.remove_user_from_group(GroupName="readers", UserName="member")
    fails(lambda: sm.list_secrets(), "AccessDeniedException")
    # Again, now that the user is not a member: AWS answers success (LocalStack's AWS-validated test).
    iam.remove_user_from_group(GroupName="readers", UserName="member")
    fails(lambda: iam.remove_user_from_group(GroupName="readers", UserName="nobody"), "NoSuchEntity")
    fails(lambda: iam.remove_user_from_group(GroupName="nothing", UserName="member"), "NoSuchEntity")
    assert fails(lambda: iam.remove_user_from_group(GroupName="nothing", UserName="nobody"), "NoSuchEntity") == (
        "The user with name nobody cannot be found.")
    iam.detach_group_policy(GroupName="readers", PolicyArn=policy)
    iam.delete_group(GroupName="readers")
    assert iam.list_groups()["Groups"] == []


def test_role_management(coffer):
    iam = coffer.client("iam")
    account = iam.create_user(UserName="x")["User"]["Arn"].split(":")[4]
    fails(lambda: iam.create_role(RoleName="bad", AssumeRolePolicyDocument='{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}'),
          "MalformedPolicyDocument")
    iam.create_role(RoleName="svc", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:root"), Tags=[{"Key": "team", "Value": "a"}])
    fails(lambda: iam.create_role(RoleName="svc", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account}:root")), "EntityAlreadyExists")
    iam.update_role(RoleName="svc", MaxSessionDuration=43200, Description="service role")
    role = iam.get_role(RoleName="svc")["Role"]
    assert role["MaxSessionDuration"] == 43200 and role["Description"] == "service role"
    fails(lambda: iam.update_role(RoleName="svc", MaxSessionDuration=50000), "ValidationError")
    iam.update_assume_role_policy(RoleName="svc", PolicyDocument=trust(f"arn:aws:iam::{account}:user/x"))
    assert iam.get_role(RoleName="svc")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"].endswith(":user/x")
    iam.put_role_policy(RoleName="svc", PolicyName="p", PolicyDocument=READ_SECRETS)
    assert iam.list_role_policies(RoleName="svc")["PolicyNames"] == ["p"]
    fails(lambda: iam.delete_role(RoleName="svc"), "DeleteConflict")
    iam.delete_role_policy(RoleName="svc", PolicyName="p")
    iam.delete_role(RoleName="svc")
    fails(lambda: iam.get_role(RoleName="svc"), "NoSuchEntity", "The role with name svc cannot be found.")


def account_in_key_id(key_id):
    """The account AWS encodes in an access key ID (published decoders read it the same way)."""
    import base64
    head = int.from_bytes(base64.b32decode(key_id[4:])[:6], "big")
    return f"{(head & 0x7FFFFFFFFF80) >> 7:012d}"


def test_access_key_ids_carry_their_account_as_aws_encodes_it(coffer):
    iam, sts = coffer.client("iam"), coffer.client("sts")
    account = sts.get_caller_identity()["Account"]
    user, key = user_with_key(iam, "key-owner")
    assert account_in_key_id(key["AccessKeyId"]) == account
    session = sts.get_session_token()["Credentials"]
    assert session["AccessKeyId"].startswith("ASIA") and account_in_key_id(session["AccessKeyId"]) == account
    assert sts.get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == account
    # A key this server did not issue is answered with the account its ID encodes, as AWS answers.
    assert sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == "581039954779"
    fails(lambda: sts.get_access_key_info(AccessKeyId="AKIA0000000000000001"), "InvalidInput")
