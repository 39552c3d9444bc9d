"""IAM around credentials: login profiles, virtual MFA devices verified with real TOTP codes (so
aws:MultiFactorAuthPresent and GetSessionToken with TokenCode mean something), and the credential report."""
import base64
import csv
import hashlib
import hmac
import io
import json
import struct
import time

import boto3

from conftest import REGION, fails, file_contents


def totp(seed_base32: str, at: float, step: int = 30) -> str:
    key = base64.b32decode(seed_base32 + "=" * (-len(seed_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // step)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def user_with_key(coffer, name, policy):
    iam = coffer.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key


def test_login_profile_lifecycle(coffer):
    iam = coffer.client("iam")
    iam.create_user(UserName="dana")
    fails(lambda: iam.get_login_profile(UserName="dana"), "NoSuchEntity")
    made = iam.create_login_profile(UserName="dana", Password="Correct-Horse-42", PasswordResetRequired=True)["LoginProfile"]
    assert made["UserName"] == "dana" and made["PasswordResetRequired"] is True
    assert iam.get_login_profile(UserName="dana")["LoginProfile"]["PasswordResetRequired"] is True
    fails(lambda: iam.create_login_profile(UserName="dana", Password="Another-Pass-1"), "EntityAlreadyExists")
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireNumbers=True)
    fails(lambda: iam.update_login_profile(UserName="dana", Password="short1"), "PasswordPolicyViolation")
    iam.update_login_profile(UserName="dana", Password="a-much-longer-password-7", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="dana")["LoginProfile"]["PasswordResetRequired"] is False
    fails(lambda: iam.delete_user(UserName="dana"), "DeleteConflict", "login profile")
    iam.delete_login_profile(UserName="dana")
    iam.delete_user(UserName="dana")
    # The password never reaches the trail or the data files.
    events = coffer.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateLoginProfile"}])["Events"]
    assert events and all("a-much-longer-password-7" not in e["CloudTrailEvent"] for e in events)
    for path, data in file_contents(coffer.data_dir):
        assert b"a-much-longer-password-7" not in data, path


def test_virtual_mfa_device_gates_a_session_and_a_policy(coffer):
    iam = coffer.client("iam")
    coffer.client().create_secret(Name="mfa-only", SecretString="behind-mfa")
    key = user_with_key(coffer, "erin", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:GetSessionToken", "iam:ListMFADevices"], "Resource": "*"},
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]})
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="erin-phone")["VirtualMFADevice"]
    serial, seed = device["SerialNumber"], device["Base32StringSeed"].decode()
    account = coffer.client("sts").get_caller_identity()["Account"]
    assert serial == f"arn:aws:iam::{account}:mfa/erin-phone"
    now = time.time()
    fails(lambda: iam.enable_mfa_device(UserName="erin", SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="000001"),
          "InvalidAuthenticationCode")
    iam.enable_mfa_device(UserName="erin", SerialNumber=serial, AuthenticationCode1=totp(seed, now - 30), AuthenticationCode2=totp(seed, now))
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="erin")["MFADevices"]] == [serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned[0]["User"]["UserName"] == "erin"

    sts = coffer.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    plain = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name=REGION,
                         aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    fails(lambda: plain.get_secret_value(SecretId="mfa-only"), "AccessDeniedException")
    fails(lambda: sts.get_session_token(SerialNumber=serial, TokenCode="123456" if totp(seed, time.time()) != "123456" else "654321"),
          "AccessDenied", "MultiFactorAuthentication failed")
    # Wait for a step not used by EnableMFADevice, as AWS accepts each code once.
    time.sleep(30 - time.time() % 30 + 0.5)
    code = totp(seed, time.time())
    credentials = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    fails(lambda: sts.get_session_token(SerialNumber=serial, TokenCode=code), "AccessDenied")
    with_mfa = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    assert with_mfa.get_secret_value(SecretId="mfa-only")["SecretString"] == "behind-mfa"
    # A session without MFA does not pass the condition.
    bare = sts.get_session_token()["Credentials"]
    without = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name=REGION, aws_access_key_id=bare["AccessKeyId"],
                           aws_secret_access_key=bare["SecretAccessKey"], aws_session_token=bare["SessionToken"])
    fails(lambda: without.get_secret_value(SecretId="mfa-only"), "AccessDeniedException")
    # AWS refuses IAM calls from GetSessionToken credentials without MFA as an unknown token, and
    # any further GetSessionToken or GetFederationToken from session credentials.
    def session_client(service, issued):
        return boto3.client(service, endpoint_url=coffer.endpoint, region_name=REGION, aws_access_key_id=issued["AccessKeyId"],
                            aws_secret_access_key=issued["SecretAccessKey"], aws_session_token=issued["SessionToken"])
    assert session_client("iam", credentials).list_mfa_devices(UserName="erin")["MFADevices"][0]["SerialNumber"] == serial
    fails(lambda: session_client("iam", bare).list_mfa_devices(UserName="erin"), "InvalidClientTokenId",
          "The security token included in the request is invalid")
    fails(lambda: session_client("sts", bare).get_session_token(), "AccessDenied", "Cannot call GetSessionToken with session credentials")
    fails(lambda: session_client("sts", bare).get_federation_token(Name="proxy"), "AccessDenied",
          "Cannot call GetFederationToken with session credentials")
    assert session_client("sts", bare).get_caller_identity()["Arn"].endswith(":user/erin")

    fails(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial), "DeleteConflict")
    iam.deactivate_mfa_device(UserName="erin", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_credential_report(coffer):
    iam = coffer.client("iam")
    # As AWS answers it: HTTP 410 and no message.
    assert fails(lambda: iam.get_credential_report(), "ReportNotPresent") is None
    iam.create_user(UserName="frank")
    iam.create_access_key(UserName="frank")
    iam.create_login_profile(UserName="frank", Password="Frank-Password-99")
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert rows[0]["user"] == "<root_account>" and rows[0]["arn"].endswith(":root")
    frank = next(r for r in rows if r["user"] == "frank")
    assert frank["password_enabled"] == "true" and frank["mfa_active"] == "false"
    assert frank["access_key_1_active"] == "true" and frank["access_key_2_active"] == "false"
    assert frank["arn"].endswith(":user/frank")
    assert len(rows[0]) == 22


def test_aws_managed_policies_are_listed_attachable_evaluated_and_fixed(coffer):
    iam = coffer.client("iam")
    arn = "arn:aws:iam::aws:policy/SecretsManagerReadWrite"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["PolicyName"] == "SecretsManagerReadWrite" and policy["DefaultVersionId"] == "v6" and policy["Arn"] == arn
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v6")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Sid"] == "BasePermissions"
    # AWS's own dates and default version (as IAM's GetPolicy shows them).
    change = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")["Policy"]
    assert change["CreateDate"].isoformat() == "2016-11-15T00:25:16+00:00" and change["DefaultVersionId"] == "v5"
    names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess"} & names == {"AdministratorAccess"}
    assert iam.list_policies(Scope="Local")["Policies"] == []
    coffer.client().create_secret(Name="managed", SecretString="v")
    iam.create_user(UserName="gina")
    key = iam.create_access_key(UserName="gina")["AccessKey"]
    secrets = coffer.client(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: secrets.get_secret_value(SecretId="managed"), "AccessDeniedException")
    iam.attach_user_policy(UserName="gina", PolicyArn=arn)
    assert secrets.get_secret_value(SecretId="managed")["SecretString"] == "v"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert [p["PolicyName"] for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]] == ["SecretsManagerReadWrite"]
    fails(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})), "AccessDenied")
    fails(lambda: iam.delete_policy(PolicyArn=arn), "AccessDenied")
    iam.detach_user_policy(UserName="gina", PolicyArn=arn)
    fails(lambda: secrets.get_secret_value(SecretId="managed"), "AccessDeniedException")
    fails(lambda: iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy"), "NoSuchEntity")


def test_instance_profiles_policy_tags_and_account_alias(coffer):
    iam = coffer.client("iam")
    iam.create_role(RoleName="ec2-app", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    profile = iam.create_instance_profile(InstanceProfileName="app", Path="/apps/")["InstanceProfile"]
    assert profile["InstanceProfileId"].startswith("AIPA") and profile["Arn"].endswith(":instance-profile/apps/app") and profile["Roles"] == []
    fails(lambda: iam.create_instance_profile(InstanceProfileName="app"), "EntityAlreadyExists")
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="ec2-app")
    fails(lambda: iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="ec2-app"), "LimitExceeded")
    got = iam.get_instance_profile(InstanceProfileName="app")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["ec2-app"]
    # As AWS answers it: Tags even when empty; the role without MaxSessionDuration.
    assert got["Tags"] == [] and "MaxSessionDuration" not in got["Roles"][0]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName="ec2-app")["InstanceProfiles"]] == ["app"]
    fails(lambda: iam.delete_role(RoleName="ec2-app"), "DeleteConflict", "instance profile")
    fails(lambda: iam.delete_instance_profile(InstanceProfileName="app"), "DeleteConflict")
    iam.remove_role_from_instance_profile(InstanceProfileName="app", RoleName="ec2-app")
    assert fails(lambda: iam.remove_role_from_instance_profile(InstanceProfileName="app", RoleName="ec2-app"), "NoSuchEntity") == (
        "Role ec2-app in Instance Profile app cannot be found.")
    iam.delete_instance_profile(InstanceProfileName="app")
    fails(lambda: iam.get_instance_profile(InstanceProfileName="app"), "NoSuchEntity")

    arn = iam.create_policy(PolicyName="tagged", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "team", "Value": "a"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    fails(lambda: iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]), "InvalidInput")
    iam.untag_policy(PolicyArn=arn, TagKeys=["team"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == []

    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="coffer-dev")
    assert iam.list_account_aliases()["AccountAliases"] == ["coffer-dev"]
    fails(lambda: iam.create_account_alias(AccountAlias="Bad_Alias"), "ValidationError")
    iam.delete_account_alias(AccountAlias="coffer-dev")
    fails(lambda: iam.delete_account_alias(AccountAlias="coffer-dev"), "NoSuchEntity")


def test_service_linked_roles_and_ssh_public_keys(coffer):
    iam = coffer.client("iam")
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", Description="scaling")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling" and role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == ["autoscaling.amazonaws.com"]
    fails(lambda: iam.delete_role(RoleName="AWSServiceRoleForAutoScaling"), "UnmodifiableEntity")
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAutoScaling")["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    fails(lambda: iam.get_role(RoleName="AWSServiceRoleForAutoScaling"), "NoSuchEntity")

    iam.create_user(UserName="git")
    body = "ssh-rsa " + base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + b"\x01" * 64).decode() + " git@example"
    key = iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=body)["SSHPublicKey"]
    assert key["SSHPublicKeyId"].startswith("APKA") and key["Status"] == "Active" and len(key["Fingerprint"].split(":")) == 16
    fails(lambda: iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=body), "DuplicateSSHPublicKey")
    fails(lambda: iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody="not a key"), "InvalidPublicKey")
    iam.update_ssh_public_key(UserName="git", SSHPublicKeyId=key["SSHPublicKeyId"], Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName="git")["SSHPublicKeys"]
    assert [k["Status"] for k in listed] == ["Inactive"] and "SSHPublicKeyBody" not in listed[0]
    assert iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="SSH")["SSHPublicKey"]["SSHPublicKeyBody"] == body
    iam.delete_ssh_public_key(UserName="git", SSHPublicKeyId=key["SSHPublicKeyId"])
    assert iam.list_ssh_public_keys(UserName="git")["SSHPublicKeys"] == []


def test_account_authorization_details(coffer):
    iam = coffer.client("iam")
    iam.create_user(UserName="auditor")
    iam.attach_user_policy(UserName="auditor", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.put_user_policy(UserName="auditor", PolicyName="inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="auditor")
    iam.create_role(RoleName="svc", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.create_policy(PolicyName="local", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))
    details = iam.get_account_authorization_details()
    user = details["UserDetailList"][0]
    assert user["UserName"] == "auditor" and user["GroupList"] == ["readers"]
    assert user["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "s3:ListBucket"
    assert user["AttachedManagedPolicies"] == [{"PolicyName": "IAMReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}]
    assert [g["GroupName"] for g in details["GroupDetailList"]] == ["readers"]
    assert details["RoleDetailList"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "ec2.amazonaws.com"
    names = sorted(p["PolicyName"] for p in details["Policies"])
    assert names == ["IAMReadOnlyAccess", "local"]
    assert details["Policies"][0]["PolicyVersionList"][0]["IsDefaultVersion"] is True
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1
    first = iam.get_account_authorization_details(MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.get_account_authorization_details(MaxItems=100, Marker=first["Marker"])
    assert len(first["UserDetailList"]) + len(first["GroupDetailList"]) + len(rest["RoleDetailList"]) + len(rest["Policies"]) == 5
