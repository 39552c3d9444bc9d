#!/usr/bin/env python3
"""Runs the same calls against Coffer (--dev) and moto_server and lists where they differ: HTTP status, error
code, and the response's members. Each known difference is marked "Coffer follows AWS" with the source, or is
a finding to fix. Both servers are started here, on free loopback ports.

    python3 scripts/differential.py [--coffer .build/debug/coffer] [--json report.json]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"

# Where Coffer and moto differ and Coffer is right, with the source that says so.
COFFER_FOLLOWS_AWS = {
    "sm.create.bad-name": "Secrets Manager refuses names outside [A-Za-z0-9/_+=.@-] (API reference, CreateSecret Name).",
    "ssm.put.standard-policy": "Parameter policies need the advanced tier (user guide, parameter policies).",
    "kms.encrypt.dryrun": "KMS answers DryRunOperationException (HTTP 412) when DryRun is set (API reference, Encrypt).",
    "sts.federation-token": "GetFederationToken answers FederatedUser and PackedPolicySize (API reference).",
    "iam.managed-policy": "AWS managed policies exist in every account at arn:aws:iam::aws:policy/NAME (IAM user guide).",
    "sm.get.missing": "Secrets Manager's model gives ResourceNotFoundException no HTTP status, so the JSON protocol's 400 (botocore model).",
    "sm.get.stage-missing": "As sm.get.missing: ResourceNotFoundException is HTTP 400 on AWS (botocore model).",
    "sm.describe": "GetSecretValue sets LastAccessedDate (to the day), which DescribeSecret then reports (API reference, DescribeSecret).",
    "sm.versions": "NextToken is present only when there are more versions (API reference, ListSecretVersionIds).",
    "sm.random.too-long": "PasswordLength is at most 4096: ValidationException; InvalidParameterValue is no Secrets Manager error (botocore model).",
    "ssm.put.bad-name": "A name with a slash must start with one: ValidationException 'Parameter name must be a fully qualified name.' (user guide).",
    "ssm.by-path.bad": "GetParametersByPath's Path must begin with a slash: ValidationException (AWS's message, quoted in localstack#11538).",
    "ssm.describe": "NextToken is present only when there are more parameters (API reference, DescribeParameters).",
    "ssm.describe.too-many": "DescribeParameters' MaxResults is 1 to 50 (botocore model).",
    "kms.encrypt": "Encrypt answers EncryptionAlgorithm (botocore model, EncryptResponse).",
    "kms.datakey": "GenerateDataKey answers KeyMaterialId (botocore model, GenerateDataKeyResponse).",
    "kms.alias.reserved": "alias/aws/ is reserved for AWS managed keys (API reference, CreateAlias AliasName).",
    "kms.tag.reserved": "Tag keys beginning aws: are reserved: TagException (API reference, TagResource).",
    "kms.rotation.status": "GetKeyRotationStatus answers KeyId, RotationPeriodInDays and NextRotationDate (botocore model).",
    "kms.encrypt.disabled": "A disabled key refuses Encrypt with DisabledException (API reference, Encrypt errors).",
    "kms.schedule-delete.short": "PendingWindowInDays is 7 to 30 (botocore model).",
    "sts.assume-role": "PackedPolicySize is answered only when session policies or tags were passed (API reference, AssumeRole).",
    "iam.keys": "IAM list calls answer IsTruncated (botocore model, ListAccessKeysResponse requires nothing but IAM always sends it).",
    "iam.delete-user.conflict": "A user with access keys cannot be deleted: DeleteConflict, HTTP 409 (API reference, DeleteUser).",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url, process):
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"{url}: server exited")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{url}: server did not start")


def outcome(call):
    try:
        answer = call()
        answer.pop("ResponseMetadata", None)
        return {"status": 200, "members": sorted(answer)}
    except ClientError as error:
        return {"status": error.response["ResponseMetadata"]["HTTPStatusCode"], "error": error.response["Error"].get("Code")}
    except Exception as error:  # noqa: BLE001 - a client-side failure is part of the comparison
        return {"status": "client", "error": type(error).__name__}


def cases(c):
    sm, ssm, kms, sts, iam = c("secretsmanager"), c("ssm"), c("kms"), c("sts"), c("iam")
    key = {}

    def new_key():
        key["id"] = kms.create_key()["KeyMetadata"]["KeyId"]
        return {"KeyMetadata": True}

    return [
        ("sm.create", lambda: sm.create_secret(Name="diff/a", SecretString="v1")),
        ("sm.create.again", lambda: sm.create_secret(Name="diff/a", SecretString="v1")),
        ("sm.create.bad-name", lambda: sm.create_secret(Name="bad name!", SecretString="v")),
        ("sm.get", lambda: sm.get_secret_value(SecretId="diff/a")),
        ("sm.get.missing", lambda: sm.get_secret_value(SecretId="diff/none")),
        ("sm.get.stage-missing", lambda: sm.get_secret_value(SecretId="diff/a", VersionStage="AWSPENDING")),
        ("sm.put", lambda: sm.put_secret_value(SecretId="diff/a", SecretString="v2")),
        ("sm.put.no-value", lambda: sm.put_secret_value(SecretId="diff/a")),
        ("sm.describe", lambda: sm.describe_secret(SecretId="diff/a")),
        ("sm.list", lambda: sm.list_secrets()),
        ("sm.list.filter", lambda: sm.list_secrets(Filters=[{"Key": "name", "Values": ["diff/"]}])),
        ("sm.versions", lambda: sm.list_secret_version_ids(SecretId="diff/a")),
        ("sm.update", lambda: sm.update_secret(SecretId="diff/a", Description="d")),
        ("sm.tag", lambda: sm.tag_resource(SecretId="diff/a", Tags=[{"Key": "k", "Value": "v"}])),
        ("sm.policy.get-none", lambda: sm.get_resource_policy(SecretId="diff/a")),
        ("sm.random", lambda: sm.get_random_password(PasswordLength=20)),
        ("sm.random.too-long", lambda: sm.get_random_password(PasswordLength=5000)),
        ("sm.delete", lambda: sm.delete_secret(SecretId="diff/a", RecoveryWindowInDays=7)),
        ("sm.get.deleted", lambda: sm.get_secret_value(SecretId="diff/a")),
        ("sm.delete.window-bad", lambda: sm.delete_secret(SecretId="diff/a", RecoveryWindowInDays=3)),
        ("sm.restore", lambda: sm.restore_secret(SecretId="diff/a")),
        ("sm.replicate", lambda: sm.replicate_secret_to_regions(SecretId="diff/a", AddReplicaRegions=[{"Region": "eu-west-1"}])),
        ("sm.delete.replicated", lambda: sm.delete_secret(SecretId="diff/a", ForceDeleteWithoutRecovery=True)),
        ("sm.batch", lambda: sm.batch_get_secret_value(SecretIdList=["diff/a", "diff/none"])),
        ("ssm.put", lambda: ssm.put_parameter(Name="/diff/p", Value="v", Type="String")),
        ("ssm.put.again", lambda: ssm.put_parameter(Name="/diff/p", Value="v", Type="String")),
        ("ssm.put.overwrite", lambda: ssm.put_parameter(Name="/diff/p", Value="v2", Type="String", Overwrite=True)),
        ("ssm.put.secure", lambda: ssm.put_parameter(Name="/diff/s", Value="v", Type="SecureString")),
        ("ssm.put.aws-prefix", lambda: ssm.put_parameter(Name="/aws/x", Value="v", Type="String")),
        ("ssm.put.bad-name", lambda: ssm.put_parameter(Name="diff/no-slash", Value="v", Type="String")),
        ("ssm.put.standard-policy", lambda: ssm.put_parameter(Name="/diff/pol", Value="v", Type="String", Tier="Standard", Policies=json.dumps(
            [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2099-01-01T00:00:00.000Z"}}]))),
        ("ssm.get", lambda: ssm.get_parameter(Name="/diff/p")),
        ("ssm.get.version", lambda: ssm.get_parameter(Name="/diff/p:1")),
        ("ssm.get.version-missing", lambda: ssm.get_parameter(Name="/diff/p:9")),
        ("ssm.get.missing", lambda: ssm.get_parameter(Name="/diff/none")),
        ("ssm.get.public-region", lambda: ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/us-east-1")),
        ("ssm.gets", lambda: ssm.get_parameters(Names=["/diff/p", "/diff/none"])),
        ("ssm.by-path", lambda: ssm.get_parameters_by_path(Path="/diff", Recursive=True)),
        ("ssm.by-path.bad", lambda: ssm.get_parameters_by_path(Path="diff")),
        ("ssm.describe", lambda: ssm.describe_parameters()),
        ("ssm.describe.too-many", lambda: ssm.describe_parameters(MaxResults=51)),
        ("ssm.history", lambda: ssm.get_parameter_history(Name="/diff/p")),
        ("ssm.label", lambda: ssm.label_parameter_version(Name="/diff/p", ParameterVersion=1, Labels=["blue"])),
        ("ssm.label.bad", lambda: ssm.label_parameter_version(Name="/diff/p", ParameterVersion=1, Labels=["aws-x"])),
        ("ssm.delete", lambda: ssm.delete_parameter(Name="/diff/p")),
        ("ssm.delete.missing", lambda: ssm.delete_parameter(Name="/diff/p")),
        ("ssm.deletes", lambda: ssm.delete_parameters(Names=["/diff/s", "/diff/none"])),
        ("kms.create", new_key),
        ("kms.describe", lambda: kms.describe_key(KeyId=key["id"])),
        ("kms.describe.missing", lambda: kms.describe_key(KeyId="11111111-2222-3333-4444-555555555555")),
        ("kms.describe.bad-id", lambda: kms.describe_key(KeyId="nope")),
        ("kms.describe.mrk-missing", lambda: kms.describe_key(KeyId="mrk-1234abcd12ab34cd56ef1234567890ab")),
        ("kms.encrypt", lambda: kms.encrypt(KeyId=key["id"], Plaintext=b"x")),
        ("kms.encrypt.dryrun", lambda: kms.encrypt(KeyId=key["id"], Plaintext=b"x", DryRun=True)),
        ("kms.decrypt.garbage", lambda: kms.decrypt(CiphertextBlob=b"not a ciphertext at all")),
        ("kms.datakey", lambda: kms.generate_data_key(KeyId=key["id"], KeySpec="AES_256")),
        ("kms.datakey.both", lambda: kms.generate_data_key(KeyId=key["id"], KeySpec="AES_256", NumberOfBytes=32)),
        ("kms.random", lambda: kms.generate_random(NumberOfBytes=32)),
        ("kms.alias", lambda: kms.create_alias(AliasName="alias/diff", TargetKeyId=key["id"])),
        ("kms.alias.reserved", lambda: kms.create_alias(AliasName="alias/aws/diff", TargetKeyId=key["id"])),
        ("kms.aliases", lambda: kms.list_aliases()),
        ("kms.tag.reserved", lambda: kms.tag_resource(KeyId=key["id"], Tags=[{"TagKey": "aws:x", "TagValue": "v"}])),
        ("kms.rotation", lambda: kms.enable_key_rotation(KeyId=key["id"])),
        ("kms.rotation.status", lambda: kms.get_key_rotation_status(KeyId=key["id"])),
        ("kms.disable", lambda: kms.disable_key(KeyId=key["id"])),
        ("kms.encrypt.disabled", lambda: kms.encrypt(KeyId=key["id"], Plaintext=b"x")),
        ("kms.schedule-delete.short", lambda: kms.schedule_key_deletion(KeyId=key["id"], PendingWindowInDays=3)),
        ("sts.identity", lambda: sts.get_caller_identity()),
        ("sts.session-token", lambda: sts.get_session_token()),
        ("sts.federation-token", lambda: sts.get_federation_token(Name="diff-user")),
        ("sts.assume-role", lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/diff", RoleSessionName="diff")),
        ("iam.user", lambda: iam.create_user(UserName="diff")),
        ("iam.user.again", lambda: iam.create_user(UserName="diff")),
        ("iam.user.get-missing", lambda: iam.get_user(UserName="nobody")),
        ("iam.key", lambda: iam.create_access_key(UserName="diff")),
        ("iam.keys", lambda: iam.list_access_keys(UserName="diff")),
        ("iam.policy.bad", lambda: iam.create_policy(PolicyName="bad", PolicyDocument="{}")),
        ("iam.role", lambda: iam.create_role(RoleName="diff", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))),
        ("iam.role.get", lambda: iam.get_role(RoleName="diff")),
        ("iam.managed-policy", lambda: iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/SecretsManagerReadWrite")),
        ("iam.credential-report-missing", lambda: iam.get_credential_report()),
        ("iam.delete-user.conflict", lambda: iam.delete_user(UserName="diff")),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--coffer", default=os.environ.get("COFFER_BIN", ".build/debug/coffer"))
    parser.add_argument("--json", help="write the comparison here")
    arguments = parser.parse_args()
    coffer_port, moto_port = free_port(), free_port()
    coffer = subprocess.Popen([arguments.coffer, "serve", "--dev", "--port", str(coffer_port), "--account-id", ACCOUNT],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    moto = subprocess.Popen(["moto_server", "-p", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait(f"http://127.0.0.1:{coffer_port}/health", coffer)
        wait(f"http://127.0.0.1:{moto_port}/moto-api/", moto)
        results = {}
        for name, port in (("coffer", coffer_port), ("moto", moto_port)):
            def client(service, port=port):
                return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id="test",
                                    aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
            results[name] = {case: outcome(call) for case, call in cases(client)}
    finally:
        for process in (coffer, moto):
            process.terminate()
            process.wait(timeout=10)
    same, explained, open_ = [], [], []
    for case in results["coffer"]:
        a, b = results["coffer"][case], results["moto"][case]
        if a == b:
            same.append(case)
        elif case in COFFER_FOLLOWS_AWS:
            explained.append((case, a, b, COFFER_FOLLOWS_AWS[case]))
        else:
            open_.append((case, a, b))
    print(f"{len(results['coffer'])} calls: {len(same)} the same, {len(explained)} different where Coffer follows AWS, "
          f"{len(open_)} other differences")
    for case, a, b, why in explained:
        print(f"  [Coffer follows AWS] {case}: coffer {a} / moto {b} -- {why}")
    for case, a, b in open_:
        print(f"  [to look at] {case}: coffer {a} / moto {b}")
    if arguments.json:
        with open(arguments.json, "w") as out:
            json.dump({"results": results, "same": same, "explained": [e[0] for e in explained], "open": [o[0] for o in open_]}, out, indent=1)


if __name__ == "__main__":
    sys.exit(main())
