"""--dev for emulator users: the dummy caller assumes roles and gets session and federation tokens,
GetCallerIdentity names whoever really signed, and the sessions' permissions are AWS's."""
import datetime
import json
import os
import subprocess

import boto3

from conftest import REGION, fails

ALLOW_SECRETS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}
LAMBDA_TRUST = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def session_client(node, service, credentials, region=REGION):
    return boto3.client(service, endpoint_url=node.endpoint, region_name=region, aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])


def test_dummy_caller_assumes_a_role_it_never_created_and_the_session_is_named_truthfully(dev_coffer):
    sts = dev_coffer.client("sts", access_key="test", secret_key="test")
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    answer = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/test-role", RoleSessionName="session-1", DurationSeconds=900)
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/test-role/session-1"
    assert answer["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert answer["AssumedRoleUser"]["AssumedRoleId"].endswith(":session-1")
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
    me = session_client(dev_coffer, "sts", answer["Credentials"]).get_caller_identity()
    assert me["Arn"] == answer["AssumedRoleUser"]["Arn"]
    assert me["UserId"] == answer["AssumedRoleUser"]["AssumedRoleId"]
    assert me["Account"] == "123456789012"
    # A role that does not exist grants nothing.
    fails(lambda: session_client(dev_coffer, "secretsmanager", answer["Credentials"]).list_secrets(), "AccessDeniedException")


def test_dummy_caller_needs_no_trust_but_the_session_has_exactly_the_roles_permissions(dev_coffer):
    iam = dev_coffer.client("iam", access_key="test", secret_key="test")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.put_role_policy(RoleName="worker", PolicyName="secrets", PolicyDocument=json.dumps(ALLOW_SECRETS))
    sts = dev_coffer.client("sts", access_key="test", secret_key="test")
    credentials = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/worker", RoleSessionName="job")["Credentials"]
    secrets = session_client(dev_coffer, "secretsmanager", credentials)
    assert secrets.create_secret(Name="made-by-role", SecretString="v")["Name"] == "made-by-role"
    fails(lambda: session_client(dev_coffer, "ssm", credentials).get_parameter(Name="/x"), "AccessDeniedException",
          "assumed-role/worker/job is not authorized to perform: ssm:GetParameter")
    # A wrong secret for a key Coffer issued is refused even in --dev.
    forged = dict(credentials, SecretAccessKey="wrong" * 8)
    fails(lambda: session_client(dev_coffer, "sts", forged).get_caller_identity(), "SignatureDoesNotMatch")


def test_iam_user_keys_in_dev_are_the_user_not_the_root(dev_coffer):
    iam = dev_coffer.client("iam", access_key="test", secret_key="test")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    sts = dev_coffer.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:user/alice"
    # The user, unlike the root, is refused a role whose trust policy does not name it.
    iam.create_role(RoleName="locked", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    fails(lambda: sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/locked", RoleSessionName="ss"), "AccessDenied")


def test_federation_token_narrows_the_caller_by_its_policy(dev_coffer):
    dev_coffer.client(access_key="test", secret_key="test").create_secret(Name="shared", SecretString="v")
    sts = dev_coffer.client("sts", access_key="test", secret_key="test")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    answer = sts.get_federation_token(Name="bob", Policy=json.dumps(policy), DurationSeconds=7200)
    assert answer["FederatedUser"] == {"FederatedUserId": "000000000000:bob", "Arn": "arn:aws:sts::000000000000:federated-user/bob"}
    assert 0 < answer["PackedPolicySize"] < 100
    issued = answer["Credentials"]
    # The root's federation sessions last an hour at most, whatever was asked.
    lasts = (issued["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 3500 < lasts <= 3600
    secrets = session_client(dev_coffer, "secretsmanager", issued)
    assert secrets.get_secret_value(SecretId="shared")["SecretString"] == "v"
    fails(lambda: secrets.delete_secret(SecretId="shared"), "AccessDeniedException", "no session policy allows")
    assert session_client(dev_coffer, "sts", issued).get_caller_identity()["Arn"] == "arn:aws:sts::000000000000:federated-user/bob"
    fails(lambda: session_client(dev_coffer, "sts", issued).get_federation_token(Name="again"), "AccessDenied",
          "Cannot call GetFederationToken with session credentials")
    fails(lambda: sts.get_federation_token(Name="bad name"), "ValidationError", "Member must satisfy regular expression pattern: [\\w+=,.@-]*")  # the model's pattern, as AWS words it
    # Without a policy the federated user may do nothing.
    bare = session_client(dev_coffer, "secretsmanager", sts.get_federation_token(Name="nobody")["Credentials"])
    fails(lambda: bare.get_secret_value(SecretId="shared"), "AccessDeniedException")


def test_federation_outside_dev_follows_the_users_policies(coffer):
    iam = coffer.client("iam")
    iam.create_user(UserName="proxy")
    iam.put_user_policy(UserName="proxy", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:GetFederationToken", "secretsmanager:ListSecrets"],
                                                  "Resource": "*"}]}))
    key = iam.create_access_key(UserName="proxy")["AccessKey"]
    sts = coffer.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}
    issued = sts.get_federation_token(Name="guest", Policy=json.dumps(everything))["Credentials"]
    secrets = session_client(coffer, "secretsmanager", issued)
    secrets.list_secrets()
    # The session policy cannot grant what the user lacks.
    fails(lambda: secrets.create_secret(Name="nope", SecretString="v"), "AccessDeniedException", "no identity-based policy allows")
    # GetFederationToken's credentials may call no IAM operation at all: AWS answers as for an unknown token.
    fails(lambda: session_client(coffer, "iam", issued).list_users(), "InvalidClientTokenId")
    # Root cannot assume a role outside --dev.
    coffer.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    account = coffer.client("sts").get_caller_identity()["Account"]
    fails(lambda: coffer.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/r", RoleSessionName="ss"), "AccessDenied",
          "Roles may not be assumed by root accounts.")


def test_aws_cli_assume_role_in_dev(dev_coffer):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    out = subprocess.run(["aws", "--endpoint-url", dev_coffer.endpoint, "sts", "assume-role", "--role-arn",
                          "arn:aws:iam::000000000000:role/ci", "--role-session-name", "cli"], env=env, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout)["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/ci/cli"


def test_partition_follows_the_region(dev_coffer):
    for region, partition in (("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eu-west-1", "aws")):
        arn = dev_coffer.client(region=region, access_key="test", secret_key="test").create_secret(Name="p", SecretString="v")["ARN"]
        assert arn.startswith(f"arn:{partition}:secretsmanager:{region}:000000000000:secret:p-")
        key = dev_coffer.client("kms", region=region, access_key="test", secret_key="test").create_key()["KeyMetadata"]["Arn"]
        assert key.startswith(f"arn:{partition}:kms:{region}:")
        dev_coffer.client("ssm", region=region, access_key="test", secret_key="test").put_parameter(Name="/p", Value="v", Type="String")
        parameter = dev_coffer.client("ssm", region=region, access_key="test", secret_key="test").get_parameter(Name="/p")["Parameter"]
        assert parameter["ARN"] == f"arn:{partition}:ssm:{region}:000000000000:parameter/p"


def test_role_shapes_per_call_and_last_use(dev_coffer):
    iam = dev_coffer.client("iam", access_key="test", secret_key="test")
    made = iam.create_role(RoleName="shaped", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST), Tags=[{"Key": "k", "Value": "v"}])["Role"]
    assert "MaxSessionDuration" not in made and "RoleLastUsed" not in made and made["Tags"] == [{"Key": "k", "Value": "v"}]
    got = iam.get_role(RoleName="shaped")["Role"]
    assert got["MaxSessionDuration"] == 3600 and got["RoleLastUsed"] == {}
    listed = iam.list_roles()["Roles"][0]
    assert "Tags" not in listed and "RoleLastUsed" not in listed and listed["MaxSessionDuration"] == 3600
    dev_coffer.client("sts", region="eu-west-1", access_key="test", secret_key="test").assume_role(
        RoleArn="arn:aws:iam::000000000000:role/shaped", RoleSessionName="use")
    used = iam.get_role(RoleName="shaped")["Role"]["RoleLastUsed"]
    assert used["Region"] == "eu-west-1" and "LastUsedDate" in used


def test_iam_and_sts_arns_take_the_partition_of_the_signing_region(dev_coffer):
    iam = dev_coffer.client("iam", region="cn-north-1", access_key="test", secret_key="test")
    assert iam.create_user(UserName="cn-user")["User"]["Arn"] == "arn:aws-cn:iam::000000000000:user/cn-user"
    role = iam.create_role(RoleName="cn-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    assert role == "arn:aws-cn:iam::000000000000:role/cn-role"
    assumed = dev_coffer.client("sts", region="cn-north-1", access_key="test", secret_key="test").assume_role(
        RoleArn=role, RoleSessionName="cn")["AssumedRoleUser"]["Arn"]
    assert assumed == "arn:aws-cn:sts::000000000000:assumed-role/cn-role/cn"
    # The account root is named in the partition of the region it calls, in its identity and in the
    # key policies and grants KMS writes; such a policy still lets the root use the key.
    assert dev_coffer.client("sts", region="cn-north-1", access_key="test", secret_key="test").get_caller_identity()["Arn"] == \
        "arn:aws-cn:iam::000000000000:root"
    kms = dev_coffer.client("kms", region="cn-north-1", access_key="test", secret_key="test")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws-cn:iam::000000000000:root"}
    assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"])["Plaintext"] == b"x"
    gov = dev_coffer.client("iam", region="us-gov-west-1", access_key="test", secret_key="test")
    assert gov.create_group(GroupName="gov")["Group"]["Arn"] == "arn:aws-us-gov:iam::000000000000:group/gov"
