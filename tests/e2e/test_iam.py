"""IAM users and policies, and AWS's evaluation on every call, through the real aws CLI and boto3."""
import json
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import aws_env, fails

# Seed 000_589f5bc16ad1479b.txt section 2.2, AnomalyDetectorServicePolicy, verbatim.
SEED_000_POLICY = (Path(__file__).parent / "seed_000_policy.json").read_text()




def service_user(coffer):
    """Seed 000's service account: the user, its policy, an access key."""
    iam = coffer.client("iam")
    user = iam.create_user(UserName="anomaly-detector-service",
                           Tags=[{"Key": "Project", "Value": "anomaly-detector"}, {"Key": "Purpose", "Value": "service-account"}])["User"]
    policy = iam.create_policy(PolicyName="AnomalyDetectorServicePolicy", PolicyDocument=SEED_000_POLICY)["Policy"]
    iam.attach_user_policy(UserName="anomaly-detector-service", PolicyArn=policy["Arn"])
    key = iam.create_access_key(UserName="anomaly-detector-service")["AccessKey"]
    return user, policy, key


def test_seed_000_service_account_is_least_privilege(coffer, tmp_path):
    user, policy, key = service_user(coffer)
    account = user["Arn"].split(":")[4]
    assert user["Arn"] == f"arn:aws:iam::{account}:user/anomaly-detector-service" and user["UserId"].startswith("AIDA")
    root_sm = coffer.client()
    root_sm.create_secret(Name="other-team/db", SecretString="not yours")
    sm = coffer.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])

    created = sm.create_secret(Name="anomaly-detector/model-endpoints/primary", SecretString='{"endpoint_name":"x"}')
    assert sm.get_secret_value(SecretId="anomaly-detector/model-endpoints/primary")["SecretString"] == '{"endpoint_name":"x"}'
    assert sm.describe_secret(SecretId=created["ARN"])["Name"] == "anomaly-detector/model-endpoints/primary"
    sm.tag_resource(SecretId="anomaly-detector/model-endpoints/primary", Tags=[{"Key": "Environment", "Value": "development"}])

    other_arn = root_sm.describe_secret(SecretId="other-team/db")["ARN"]
    message = fails(lambda: sm.get_secret_value(SecretId="other-team/db"), "AccessDeniedException")
    assert message == (f"User: {user['Arn']} is not authorized to perform: secretsmanager:GetSecretValue on resource: {other_arn} "
                       "because no identity-based policy allows the secretsmanager:GetSecretValue action")
    fails(lambda: sm.delete_secret(SecretId="anomaly-detector/model-endpoints/primary"), "AccessDeniedException",
          "secretsmanager:DeleteSecret")
    # ListSecrets takes no resource, and the seed's policy scopes it to secret ARNs: AWS denies it.
    fails(lambda: sm.list_secrets(), "AccessDeniedException", "secretsmanager:ListSecrets on resource: *")
    ssm = coffer.client("ssm", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: ssm.get_parameter(Name="/anything"), "AccessDeniedException", "ssm:GetParameter")
    assert root_sm.get_secret_value(SecretId="anomaly-detector/model-endpoints/primary")["SecretString"] == '{"endpoint_name":"x"}'

    # Seed 000's troubleshooting commands, with a profile holding the service account's key.
    env = aws_env(tmp_path, coffer)
    creds = Path(env["AWS_SHARED_CREDENTIALS_FILE"])
    creds.write_text(f"[anomaly-detector-dev]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
    def aws(*args):
        return subprocess.run(["aws", "--endpoint-url", coffer.endpoint, *args, "--profile", "anomaly-detector-dev"],
                              env=env, capture_output=True, text=True, timeout=60)
    identity = aws("sts", "get-caller-identity")
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout) == {"UserId": user["UserId"], "Account": account, "Arn": user["Arn"]}
    get_user = aws("iam", "get-user")
    assert get_user.returncode != 0 and "AccessDenied" in get_user.stderr and "iam:GetUser" in get_user.stderr
    listed = aws("iam", "list-attached-user-policies", "--user-name", "anomaly-detector-service")
    assert listed.returncode != 0 and "AccessDenied" in listed.stderr
    # The same commands as the account root answer with the user and its policy.
    iam = coffer.client("iam")
    assert iam.list_attached_user_policies(UserName="anomaly-detector-service")["AttachedPolicies"] == [
        {"PolicyName": "AnomalyDetectorServicePolicy", "PolicyArn": policy["Arn"]}]


def test_access_keys_inactive_deleted_and_limits(coffer):
    _, _, key = service_user(coffer)
    iam = coffer.client("iam")
    second = iam.create_access_key(UserName="anomaly-detector-service")["AccessKey"]
    fails(lambda: iam.create_access_key(UserName="anomaly-detector-service"), "LimitExceeded", "AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName="anomaly-detector-service")["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]])
    assert all(k["Status"] == "Active" for k in listed)
    sts = coffer.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/anomaly-detector-service")
    iam.update_access_key(UserName="anomaly-detector-service", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    fails(lambda: sts.get_caller_identity(), "InvalidClientTokenId")
    iam.update_access_key(UserName="anomaly-detector-service", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Account"]
    iam.delete_access_key(UserName="anomaly-detector-service", AccessKeyId=key["AccessKeyId"])
    fails(lambda: sts.get_caller_identity(), "InvalidClientTokenId")
    fails(lambda: iam.delete_user(UserName="anomaly-detector-service"), "DeleteConflict")
    unused = iam.get_access_key_last_used(AccessKeyId=second["AccessKeyId"])
    assert unused["UserName"] == "anomaly-detector-service"
    assert unused["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    coffer.client("sts", region="eu-west-1", access_key=second["AccessKeyId"], secret_key=second["SecretAccessKey"]).get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=second["AccessKeyId"])["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("sts", "eu-west-1") and "LastUsedDate" in used
    # A key the account does not hold: GetAccessKeyLastUsed models no NoSuchEntity; AWS answers AccessDenied.
    account = coffer.client("sts").get_caller_identity()["Account"]
    assert fails(lambda: iam.get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE"), "AccessDenied") == (
        f"User: arn:aws:iam::{account}:root is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key AKIAIOSFODNN7EXAMPLE")


def test_users_policies_and_versions(coffer):
    iam = coffer.client("iam")
    iam.create_user(UserName="alice", Path="/team/")
    fails(lambda: iam.create_user(UserName="ALICE"), "EntityAlreadyExists")
    fails(lambda: iam.create_user(UserName="bad name"), "ValidationError")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    for name in ("bob", "carol"):
        iam.create_user(UserName=name)
    first = iam.list_users(MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    rest = iam.list_users(MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and "Marker" not in rest
    assert sorted(u["UserName"] for u in first["Users"] + rest["Users"]) == ["alice", "bob", "carol"]
    pages = iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1})
    assert sum(len(page["Users"]) for page in pages) == 3
    fails(lambda: iam.list_users(Marker="not-a-marker"), "InvalidInput")
    for name in ("bob", "carol"):
        iam.delete_user(UserName=name)
    assert iam.get_user(UserName="alice")["User"]["Path"] == "/team/"
    fails(lambda: iam.tag_user(UserName="alice", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]), "ValidationError",
          "Member must have length less than or equal to 50")
    fails(lambda: iam.tag_user(UserName="alice", Tags=[{"Key": "k" * 129, "Value": "v"}]), "ValidationError")
    iam.tag_user(UserName="alice", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    fails(lambda: iam.tag_user(UserName="alice", Tags=[{"Key": "one-more", "Value": "v"}]), "LimitExceeded")
    assert len(iam.list_user_tags(UserName="alice")["Tags"]) == 50
    fails(lambda: iam.get_user(UserName="nobody"), "NoSuchEntity", "The user with name nobody cannot be found.")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]})
    fails(lambda: iam.create_policy(PolicyName="broken", PolicyDocument='{"Statement": []}'), "MalformedPolicyDocument")
    fails(lambda: iam.create_policy(PolicyName="principal", PolicyDocument=json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})), "MalformedPolicyDocument")
    arn = iam.create_policy(PolicyName="reader", PolicyDocument=doc, Description="reads")["Policy"]["Arn"]
    fails(lambda: iam.create_policy(PolicyName="reader", PolicyDocument=doc), "EntityAlreadyExists")
    for i in range(2, 6):
        assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc, SetAsDefault=(i == 3))["PolicyVersion"]["VersionId"] == f"v{i}"
    fails(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc), "LimitExceeded")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    fails(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v3"), "DeleteConflict")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v5", "v4", "v3", "v2"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert version["Document"] == json.loads(doc) and version["IsDefaultVersion"] is True
    # As AWS answers them (LocalStack's AWS-validated IAM snapshots): GetPolicy names Tags even when
    # there are none, a version of a missing policy is a missing version, and an ill-formed version id
    # is reported without its value.
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == []
    # A PolicyArn that is not an ARN is InvalidInput; an ARN that names nothing, NoSuchEntity (AWS-recorded).
    iam.create_user(UserName="arn-checks")
    assert fails(lambda: iam.attach_user_policy(UserName="arn-checks", PolicyArn="longpolicynamebutnoarn"), "InvalidInput") == (
        "ARN longpolicynamebutnoarn is not valid.")
    fails(lambda: iam.attach_user_policy(UserName="arn-checks", PolicyArn=arn + "123"), "NoSuchEntity", "does not exist or is not attachable.")
    missing = arn.rsplit("/", 1)[0] + "/TestNonExistingPolicy"
    for call in (iam.get_policy_version, iam.set_default_policy_version, iam.delete_policy_version):
        assert fails(lambda: call(PolicyArn=missing, VersionId="v1"), "NoSuchEntity") == (
            f"Policy {missing} version v1 does not exist or is not attachable.")
    assert fails(lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v2-does-not-exist"), "ValidationError") == (
        "1 validation error detected: Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?")
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    fails(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict")
    iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=doc)
    assert iam.get_user_policy(UserName="alice", PolicyName="inline")["PolicyDocument"] == json.loads(doc)
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["inline"]
    fails(lambda: iam.delete_user(UserName="alice"), "DeleteConflict")
    iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    iam.delete_user_policy(UserName="alice", PolicyName="inline")
    # A group member is not deleted either (AWS answers with DeleteGroup's message); the user stays whole.
    iam.create_group(GroupName="alice-team")
    iam.add_user_to_group(GroupName="alice-team", UserName="alice")
    fails(lambda: iam.delete_user(UserName="alice"), "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["alice-team"]
    iam.remove_user_from_group(GroupName="alice-team", UserName="alice")
    iam.delete_user(UserName="alice")
    iam.delete_policy(PolicyArn=arn)
    fails(lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity")


def test_boundaries_and_explicit_denies(coffer):
    iam = coffer.client("iam")
    iam.create_user(UserName="bounded")
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    ssm_only = iam.create_policy(PolicyName="ssm-only", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.put_user_policy(UserName="bounded", PolicyName="all", PolicyDocument=allow_all)
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=ssm_only)
    key = iam.create_access_key(UserName="bounded")["AccessKey"]
    ssm = coffer.client("ssm", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    sm = coffer.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    ssm.put_parameter(Name="/bounded/x", Value="v", Type="String")
    fails(lambda: sm.list_secrets(), "AccessDeniedException", "because no permissions boundary allows the secretsmanager:ListSecrets action")
    iam.put_user_policy(UserName="bounded", PolicyName="deny", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ssm:DeleteParameter", "Resource": "*"}]}))
    fails(lambda: ssm.delete_parameter(Name="/bounded/x"), "AccessDeniedException", "with an explicit deny in an identity-based policy")
    assert ssm.get_parameter(Name="/bounded/x")["Parameter"]["Value"] == "v"


def test_every_aws_managed_policy_can_be_attached_and_is_evaluated(coffer):
    """AWS managed policies beyond the ones Coffer describes itself come from a table of all of them (paths
    included): attachable, listed with Scope=AWS, evaluated with their real documents."""
    iam = coffer.client("iam")
    lambda_basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    policy = iam.get_policy(PolicyArn=lambda_basic)["Policy"]
    assert policy["Path"] == "/service-role/" and policy["PolicyId"].startswith("ANPA") and policy["IsAttachable"]
    version = iam.get_policy_version(PolicyArn=lambda_basic, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert "logs:CreateLogGroup" in json.dumps(version["Document"])
    fails(lambda: iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole"), "NoSuchEntity")
    fails(lambda: iam.delete_policy(PolicyArn=lambda_basic), "AccessDenied")
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="fn", PolicyArn=lambda_basic)
    assert iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"] == [
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": lambda_basic}]
    aws = []
    marker = {}
    while True:
        page = iam.list_policies(Scope="AWS", MaxItems=1000, **marker)
        aws += page["Policies"]
        if not page["IsTruncated"]:
            break
        marker = {"Marker": page["Marker"]}
    assert len(aws) > 1400 and {"ReadOnlyAccess", "AdministratorAccess", "SecretsManagerReadWrite"} <= {p["PolicyName"] for p in aws}
    attached = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in attached] == [("AWSLambdaBasicExecutionRole", 1)]
    # ReadOnlyAccess, evaluated: it lists and describes secrets and never reads their values.
    coffer.client().create_secret(Name="app/db", SecretString="s3cret")
    iam.create_user(UserName="auditor")
    iam.attach_user_policy(UserName="auditor", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    sm = coffer.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert sm.describe_secret(SecretId="app/db")["Name"] == "app/db"
    fails(lambda: sm.get_secret_value(SecretId="app/db"), "AccessDeniedException")


def test_secret_resource_policy_grants_and_denies(coffer):
    iam, sm = coffer.client("iam"), coffer.client()
    user = iam.create_user(UserName="reader")["User"]
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = coffer.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    arn = sm.create_secret(Name="shared/secret", SecretString="shared value")["ARN"]
    fails(lambda: reader.get_secret_value(SecretId="shared/secret"), "AccessDeniedException")
    sm.put_resource_policy(SecretId="shared/secret", ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    assert reader.get_secret_value(SecretId="shared/secret")["SecretString"] == "shared value"
    sm.put_resource_policy(SecretId="shared/secret", ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:DeleteSecret", "Resource": "*"}]}))
    fails(lambda: sm.delete_secret(SecretId=arn), "AccessDeniedException", "with an explicit deny in a resource-based policy")


def test_seed_001_password_policy(coffer):
    iam = coffer.client("iam")
    fails(lambda: iam.get_account_password_policy(), "NoSuchEntity")
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90, PasswordReusePrevention=24)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 12 and policy["RequireSymbols"] and policy["RequireNumbers"]
    assert policy["RequireUppercaseCharacters"] and policy["RequireLowercaseCharacters"]
    assert policy["MaxPasswordAge"] == 90 and policy["PasswordReusePrevention"] == 24 and policy["ExpirePasswords"] is True
    fails(lambda: iam.update_account_password_policy(MinimumPasswordLength=12, PasswordReusePrevention=25), "ValidationError")
    iam.delete_account_password_policy()
    fails(lambda: iam.get_account_password_policy(), "NoSuchEntity")


# Seed 002_e0c1c5dd9bc33c76.txt: CMLWorkerManagementPolicy and its three restricted variants, verbatim.
SEED_002 = json.loads((Path(__file__).parent / "seed_002_policies.json").read_text())


def as_policy(statement_text):
    """The variants are single statements in the seed; a policy wraps each one."""
    return json.dumps({"Version": "2012-10-17", "Statement": [json.loads(statement_text)]})


INSTANCE = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"


@pytest.mark.parametrize("policy,action,resource,context,expected", [
    ("CMLWorkerManagementPolicy", "ec2:RunInstances", "*", [], "allowed"),
    ("CMLWorkerManagementPolicy", "ec2:DescribeRegions", "*", [], "allowed"),
    ("CMLWorkerManagementPolicy", "ec2:CreateTags", INSTANCE, [], "allowed"),
    ("CMLWorkerManagementPolicy", "cloudwatch:GetMetricStatistics", "*", [], "allowed"),
    ("CMLWorkerManagementPolicy", "ec2:DeleteVpc", "*", [], "implicitDeny"),
    ("CMLWorkerManagementPolicy", "s3:GetObject", "arn:aws:s3:::bucket/key", [], "implicitDeny"),
    ("RegionRestricted", "ec2:StartInstances", INSTANCE, [("ec2:Region", ["us-east-1"])], "allowed"),
    ("RegionRestricted", "ec2:StartInstances", INSTANCE, [("ec2:Region", ["us-west-2"])], "allowed"),
    ("RegionRestricted", "ec2:StartInstances", INSTANCE, [("ec2:Region", ["eu-west-1"])], "implicitDeny"),
    ("RegionRestricted", "ec2:StartInstances", INSTANCE, [], "implicitDeny"),
    ("RegionRestricted", "ec2:DescribeRegions", "*", [("ec2:Region", ["us-east-1"])], "implicitDeny"),
    ("TagRestricted", "ec2:StopInstances", INSTANCE, [("ec2:ResourceTag/ManagedBy", ["cml-cloud-manager"])], "allowed"),
    ("TagRestricted", "ec2:TerminateInstances", INSTANCE, [("ec2:ResourceTag/ManagedBy", ["someone-else"])], "implicitDeny"),
    ("TagRestricted", "ec2:StopInstances", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1",
     [("ec2:ResourceTag/ManagedBy", ["cml-cloud-manager"])], "implicitDeny"),
    ("TagRestricted", "ec2:RunInstances", INSTANCE, [("ec2:ResourceTag/ManagedBy", ["cml-cloud-manager"])], "implicitDeny"),
    ("RunInstancesRestricted", "ec2:RunInstances", INSTANCE, [("ec2:InstanceType", ["c5.large"])], "allowed"),
    ("RunInstancesRestricted", "ec2:RunInstances", INSTANCE, [("ec2:InstanceType", ["m5.xlarge"])], "allowed"),
    ("RunInstancesRestricted", "ec2:RunInstances", INSTANCE, [("ec2:InstanceType", ["t3.micro"])], "implicitDeny"),
    ("RunInstancesRestricted", "ec2:RunInstances", INSTANCE, [("ec2:InstanceType", ["c6i.2xlarge"])], "allowed"),
    ("RunInstancesRestricted", "ec2:RunInstances", INSTANCE, [], "implicitDeny"),
])
def test_seed_002_policies_simulated(coffer, policy, action, resource, context, expected):
    document = SEED_002[policy] if policy == "CMLWorkerManagementPolicy" else as_policy(SEED_002[policy])
    entries = [{"ContextKeyName": k, "ContextKeyValues": v, "ContextKeyType": "stringList"} for k, v in context]
    result = coffer.client("iam").simulate_custom_policy(PolicyInputList=[document], ActionNames=[action], ResourceArns=[resource],
                                                         ContextEntries=entries)["EvaluationResults"][0]
    assert (result["EvalActionName"], result["EvalResourceName"], result["EvalDecision"]) == (action, resource, expected)


def test_simulate_principal_policy(coffer):
    user, policy, _ = service_user(coffer)
    iam = coffer.client("iam")
    results = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["secretsmanager:GetSecretValue"],
                                            ResourceArns=["arn:aws:secretsmanager:us-east-1:123456789012:secret:anomaly-detector/x-AbCdEf",
                                                          "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x-AbCdEf"])["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    assert results[0]["MatchedStatements"][0]["SourcePolicyId"] == policy["Arn"]


# Seed 003_1803b2d918618988.txt's read policy for the metrics collector, verbatim.
SEED_003_POLICY = (Path(__file__).parent / "seed_003_policy.json").read_text()


def test_seed_003_read_policy_and_kms_decrypt(coffer):
    iam, kms = coffer.client("iam"), coffer.client("kms", region="eu-west-1")
    root_ssm = coffer.client("ssm", region="eu-west-1")
    root_ssm.put_parameter(Name="/ELASMETRICS/STAGING/MYSQL/PASSWORD", Value="managed-key-secret", Type="SecureString")
    root_ssm.put_parameter(Name="/ELASMETRICS/STAGING/MYSQL/USER", Value="metrics_user", Type="String")
    root_ssm.put_parameter(Name="/OTHER/PASSWORD", Value="not-yours", Type="SecureString")
    # A customer managed key whose policy names only the root: IAM's kms:Decrypt grant then counts (default policy).
    delegating = kms.create_key()["KeyMetadata"]["KeyId"]
    root_ssm.put_parameter(Name="/ELASMETRICS/STAGING/ES/PASSWORD", Value="cmk-secret", Type="SecureString", KeyId=delegating)
    # A key whose policy does not delegate to IAM: IAM alone cannot open it.
    account = iam.create_user(UserName="collector")["User"]["Arn"].split(":")[4]
    closed_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalType": "Account"}}}]})
    closed = kms.create_key(Policy=closed_policy)["KeyMetadata"]["KeyId"]
    root_ssm.put_parameter(Name="/ELASMETRICS/STAGING/LOCKED", Value="locked", Type="SecureString", KeyId=closed)

    iam.put_user_policy(UserName="collector", PolicyName="elasmetrics", PolicyDocument=SEED_003_POLICY)
    key = iam.create_access_key(UserName="collector")["AccessKey"]
    ssm = coffer.client("ssm", region="eu-west-1", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert ssm.get_parameter(Name="/ELASMETRICS/STAGING/MYSQL/PASSWORD", WithDecryption=True)["Parameter"]["Value"] == "managed-key-secret"
    assert ssm.get_parameter(Name="/ELASMETRICS/STAGING/ES/PASSWORD", WithDecryption=True)["Parameter"]["Value"] == "cmk-secret"
    fails(lambda: ssm.get_parameter(Name="/ELASMETRICS/STAGING/LOCKED", WithDecryption=True), "AccessDeniedException", "kms:Decrypt")
    fails(lambda: ssm.get_parameter(Name="/OTHER/PASSWORD", WithDecryption=True), "AccessDeniedException", "ssm:GetParameter")
    fails(lambda: ssm.put_parameter(Name="/ELASMETRICS/STAGING/NEW", Value="x", Type="String"), "AccessDeniedException", "ssm:PutParameter")
    us = coffer.client("ssm", region="us-east-1", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: us.get_parameter(Name="/ELASMETRICS/STAGING/MYSQL/USER"), "AccessDeniedException")

    # Without kms:Decrypt in IAM, the delegating key refuses, while the AWS-managed key still opens through SSM.
    iam.create_user(UserName="no-kms")
    iam.put_user_policy(UserName="no-kms", PolicyName="ssm-only", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParametersByPath"], "Resource": "*"}]}))
    other = iam.create_access_key(UserName="no-kms")["AccessKey"]
    ssm2 = coffer.client("ssm", region="eu-west-1", access_key=other["AccessKeyId"], secret_key=other["SecretAccessKey"])
    assert ssm2.get_parameter(Name="/ELASMETRICS/STAGING/MYSQL/PASSWORD", WithDecryption=True)["Parameter"]["Value"] == "managed-key-secret"
    fails(lambda: ssm2.get_parameter(Name="/ELASMETRICS/STAGING/ES/PASSWORD", WithDecryption=True), "AccessDeniedException",
          "because no identity-based policy allows the kms:Decrypt action")
    assert ssm2.get_parameter(Name="/ELASMETRICS/STAGING/ES/PASSWORD")["Parameter"]["Value"] != "cmk-secret"
    fails(lambda: ssm2.get_parameters_by_path(Path="/ELASMETRICS/STAGING", Recursive=True, WithDecryption=True), "AccessDeniedException")


def test_secret_under_customer_key_needs_kms_decrypt(coffer):
    iam, kms, sm = coffer.client("iam"), coffer.client("kms"), coffer.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name="app/cmk", SecretString="v", KmsKeyId=key_id)
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = coffer.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: reader.get_secret_value(SecretId="app/cmk"), "AccessDeniedException", "Access to KMS is not allowed")
    iam.put_user_policy(UserName="reader", PolicyName="kms", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}]}))
    assert reader.get_secret_value(SecretId="app/cmk")["SecretString"] == "v"


def test_kms_grants_are_enforced(coffer):
    iam, kms = coffer.client("iam"), coffer.client("kms")
    user = iam.create_user(UserName="granted")["User"]
    key = iam.create_access_key(UserName="granted")["AccessKey"]
    closed = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"].rsplit(":", 1)[0] + ":root"}, "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalType": "Account"}}}]})
    key_id = kms.create_key(Policy=closed)["KeyMetadata"]["KeyId"]
    as_user = coffer.client("kms", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: as_user.encrypt(KeyId=key_id, Plaintext=b"x"), "AccessDeniedException")
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=user["Arn"], Operations=["Encrypt", "Decrypt"],
                             Constraints={"EncryptionContextSubset": {"app": "billing"}})
    fails(lambda: as_user.encrypt(KeyId=key_id, Plaintext=b"x"), "AccessDeniedException")
    blob = as_user.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "billing"})["CiphertextBlob"]
    assert as_user.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "billing"})["Plaintext"] == b"x"
    fails(lambda: as_user.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"app": "billing"}), "AccessDeniedException")
    kms.revoke_grant(KeyId=key_id, GrantId=grant["GrantId"])
    fails(lambda: as_user.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "billing"}), "AccessDeniedException")


def test_update_user_renames_and_moves_everything_with_the_user(coffer):
    iam = coffer.client("iam")
    created = iam.create_user(UserName="alice", Path="/team/")["User"]
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="whoami", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))
    iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "pay"}])
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_user(UserName="bob")
    fails(lambda: iam.update_user(UserName="alice", NewUserName="Bob"), "EntityAlreadyExists", "User with name Bob already exists.")
    assert iam.get_user(UserName="alice")["User"]["Arn"] == created["Arn"]
    fails(lambda: iam.update_user(UserName="nobody", NewUserName="x"), "NoSuchEntity")
    fails(lambda: iam.update_user(UserName="alice", NewPath="no-slash"), "ValidationError")

    iam.update_user(UserName="alice", NewUserName="alice2", NewPath="/ops/")
    fails(lambda: iam.get_user(UserName="alice"), "NoSuchEntity")
    user = iam.get_user(UserName="alice2")["User"]
    assert user["UserId"] == created["UserId"] and user["Arn"].endswith(":user/ops/alice2") and user["Path"] == "/ops/"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice2")["Groups"]] == ["devs"]
    assert iam.list_user_policies(UserName="alice2")["PolicyNames"] == ["whoami"]
    assert iam.list_user_tags(UserName="alice2")["Tags"] == [{"Key": "team", "Value": "pay"}]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="alice2")["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    # The key still works, and names the user as it is now.
    sts = coffer.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == user["Arn"]
    # A change of case is a rename too.
    iam.update_user(UserName="alice2", NewUserName="Alice2")
    assert iam.get_user(UserName="Alice2")["User"]["UserName"] == "Alice2"
    assert len([u for u in iam.list_users()["Users"] if u["UserName"].lower() == "alice2"]) == 1


def test_list_entities_for_policy(coffer):
    iam = coffer.client("iam")
    arn = iam.create_policy(PolicyName="shared", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))["Policy"]["Arn"]
    alice = iam.create_user(UserName="alice", Path="/team/")["User"]
    iam.create_user(UserName="bob")
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    role = iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}), PermissionsBoundary=arn)["Role"]
    every = iam.list_entities_for_policy(PolicyArn=arn)
    assert every["PolicyUsers"] == [{"UserName": "alice", "UserId": alice["UserId"]}]
    assert [g["GroupName"] for g in every["PolicyGroups"]] == ["readers"]
    assert every["PolicyRoles"] == [{"RoleName": "bounded", "RoleId": role["RoleId"]}] and every["IsTruncated"] is False
    permissions = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsPolicy")
    assert permissions["PolicyRoles"] == [] and len(permissions["PolicyUsers"]) == 1
    boundary = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert boundary["PolicyUsers"] == [] and boundary["PolicyGroups"] == [] and len(boundary["PolicyRoles"]) == 1
    only_users = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")
    assert only_users["PolicyGroups"] == [] and only_users["PolicyRoles"] == [] and len(only_users["PolicyUsers"]) == 1
    assert iam.list_entities_for_policy(PolicyArn=arn, PathPrefix="/other/")["PolicyUsers"] == []
    first = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["PolicyGroups"] + first["PolicyUsers"] + first["PolicyRoles"]) == 2
    rest = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and rest["PolicyRoles"] == [{"RoleName": "bounded", "RoleId": role["RoleId"]}]
    account = arn.split(":")[4]
    # AWS: a lookup says "was not found."; attaching (or a boundary) says "does not exist or is not attachable."
    missing = f"arn:aws:iam::{account}:policy/missing"
    fails(lambda: iam.list_entities_for_policy(PolicyArn=missing), "NoSuchEntity", f"Policy {missing} was not found.")
    fails(lambda: iam.get_policy(PolicyArn=missing), "NoSuchEntity", f"Policy {missing} was not found.")
    fails(lambda: iam.attach_role_policy(RoleName="bounded", PolicyArn=missing), "NoSuchEntity",
          f"Policy {missing} does not exist or is not attachable.")
    fails(lambda: iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Robot"), "ValidationError", "Member must satisfy enum value set")
    iam.attach_role_policy(RoleName="bounded", PolicyArn="arn:aws:iam::aws:policy/SecretsManagerReadWrite")
    readonly = iam.list_entities_for_policy(PolicyArn="arn:aws:iam::aws:policy/SecretsManagerReadWrite")
    assert readonly["PolicyUsers"] == [] and readonly["PolicyRoles"] == [{"RoleName": "bounded", "RoleId": role["RoleId"]}]


def stmt(**elements):
    return {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket", **elements}


def doc(*statements, version="2012-10-17"):
    body = {"Statement": list(statements) if len(statements) > 1 else statements[0]}
    return json.dumps({"Version": version, **body} if version else body)


# IAM's checks in IAM's order: structure, version, legacy parsing, unique Sids, actions, the resource
# format, action vendors, resources present (the documents and messages AWS answers with).
IAM_POLICY_ERRORS = [
    ("not json", "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Extra": 1, "Statement": stmt()}), "Syntax errors in policy."),
    (doc(stmt(Effect="invalid")), "Syntax errors in policy."),
    (doc(stmt(Sid=[])), "Syntax errors in policy."),
    (doc(stmt(NotResource="*")), "Syntax errors in policy."),
    (doc(stmt(Condition={"x": {"a": "1"}})), "Syntax errors in policy."),
    (doc(stmt(), version=None), "Policy document must be version 2012-10-17 or greater."),
    (doc(stmt(), version="2008-10-17"), "Policy document must be version 2012-10-17 or greater."),
    (doc(stmt(Effect="allow")), "The policy failed legacy parsing"),
    (doc(stmt(Condition={"DateGreaterThan": {"aws:CurrentTime": "not-a-date"}})), "The policy failed legacy parsing"),
    (doc(stmt(Resource="arn:aws:s3::bucket")), "The policy failed legacy parsing"),
    (doc(stmt(Sid="a"), stmt(Sid="a")), "Statement IDs (SID) in a single policy must be unique."),
    (doc(stmt(Action=[])), "Policy statement must contain actions."),
    (doc(stmt(Resource="aws:s3:::bucket")), 'Partition "s3" is not valid for resource "arn:s3:::bucket:*".'),
    (doc(stmt(Resource="arn:aws")), "Resource vendor must be fully qualified and cannot contain regexes."),
    (doc(stmt(Resource="arn:aws:iam:us-east-1::user/x")), "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information."),
    (doc(stmt(Resource="arn:aws:s3:us-east-1::bucket")), "Resource arn:aws:s3:us-east-1::bucket can not contain region information."),
    (doc(stmt(Action="s3:List:Bucket")), "Actions/Condition can contain only one colon."),
    (doc(stmt(Action="a a:ListBucket")), "Vendor a a is not valid"),
    (doc(stmt(Resource=[])), "Policy statement must contain resources."),
]


@pytest.mark.parametrize("document,message", IAM_POLICY_ERRORS)
def test_iam_refuses_policies_as_iam_does(coffer, document, message):
    fails(lambda: coffer.client("iam").create_policy(PolicyName="p", PolicyDocument=document), "MalformedPolicyDocument", message)


def test_iam_accepts_what_iam_accepts(coffer):
    iam = coffer.client("iam")
    # An operator with nothing under it, whatever its name, and a null among the resources.
    iam.create_policy(PolicyName="empty-condition", PolicyDocument=doc(stmt(Condition={"DateGreaterThan": {}, "whatever": {}})))
    iam.create_policy(PolicyName="null-resource", PolicyDocument=doc(stmt(Resource=["arn:aws:s3:::bucket", None])))
    iam.create_policy(PolicyName="access-point", PolicyDocument=doc(stmt(Resource="arn:aws:s3:us-east-1:123456789012:accesspoint/ap")))
    iam.create_policy(PolicyName="dates", PolicyDocument=doc(stmt(Condition={"DateLessThan": {"aws:CurrentTime": ["2030-01-01T00:00:00Z", "1893456000"]}})))


def test_update_group_moves_the_group_and_its_members_follow(coffer):
    iam = coffer.client("iam")
    iam.create_group(GroupName="devs")
    iam.create_user(UserName="member")
    iam.add_user_to_group(GroupName="devs", UserName="member")
    iam.put_group_policy(GroupName="devs", PolicyName="p", PolicyDocument=doc(stmt()))
    group_id = iam.get_group(GroupName="devs")["Group"]["GroupId"]
    iam.update_group(GroupName="devs", NewGroupName="engineers", NewPath="/team/")
    moved = iam.get_group(GroupName="engineers")
    assert moved["Group"]["Arn"].endswith(":group/team/engineers") and moved["Group"]["GroupId"] == group_id
    assert [u["UserName"] for u in moved["Users"]] == ["member"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="member")["Groups"]] == ["engineers"]
    assert iam.list_group_policies(GroupName="engineers")["PolicyNames"] == ["p"]
    fails(lambda: iam.get_group(GroupName="devs"), "NoSuchEntity", "The group with name devs cannot be found.")
    iam.create_group(GroupName="other")
    fails(lambda: iam.update_group(GroupName="other", NewGroupName="engineers"), "EntityAlreadyExists", "Group with name engineers already exists.")
    assert iam.get_group(GroupName="other")["Group"]["GroupName"] == "other"


def test_account_summary_counts_what_the_account_holds(coffer):
    iam = coffer.client("iam")
    iam.create_policy(PolicyName="counted", PolicyDocument=doc(stmt()))
    iam.create_policy_version(PolicyArn=iam.list_policies(Scope="Local")["Policies"][0]["Arn"], PolicyDocument=doc(stmt()))
    iam.create_virtual_mfa_device(VirtualMFADeviceName="token")
    iam.create_instance_profile(InstanceProfileName="profile")
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Policies"] == 1 and summary["PolicyVersionsInUse"] == 2
    assert summary["MFADevices"] == 1 and summary["MFADevicesInUse"] == 0 and summary["InstanceProfiles"] == 1
    assert summary["AccountSigningCertificatesPresent"] == 0 and summary["AccountPasswordPresent"] == 0
    fails(lambda: iam.delete_account_password_policy(), "NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.")
    fails(lambda: iam.get_account_password_policy(), "NoSuchEntity", "cannot be found.")


def test_validation_messages_as_aws_answers_them_now(coffer):
    # IAM's messages as LocalStack's AWS-validated snapshots recorded them in 2026: names and paths
    # outside their patterns get IAM's own sentences, other violations name the member but not the
    # value, and several are listed in the order AWS lists them.
    iam = coffer.client("iam")
    assert fails(lambda: iam.create_user(UserName="bad/name"), "ValidationError") == (
        "The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-")
    assert fails(lambda: iam.create_role(RoleName="r", Path="no-slashes", AssumeRolePolicyDocument="{}"), "ValidationError") == (
        "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
    assert fails(lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName="d", Path="/" + "a" * 512 + "/"), "ValidationError") == (
        "1 validation error detected: Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 512")
    assert fails(lambda: iam.update_account_password_policy(MaxPasswordAge=1096, MinimumPasswordLength=129, PasswordReusePrevention=25),
                 "ValidationError") == (
        "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal "
        "to 128; Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24; Value at "
        "'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095")
