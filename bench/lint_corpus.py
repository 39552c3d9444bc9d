"""A labelled set of policies, each with the one problem it has (or none), for comparing linters.

`coffer` lists the codes that count as Coffer reporting the problem (at the level given: a
negative case counts as a false alarm only at that level); `parliament` the Parliament issues that
count; `cloudsplaining` the Cloudsplaining risk attributes that count. Written for this comparison
(so it is Coffer's own corpus, with the bias that implies): the seed policies' real mistakes, and
each risk the issue names, including cases where scope, a Deny or a condition removes the risk.
"""
import json


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", condition=None):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


CASES = [
    # The seed policies' mistakes.
    dict(name="seed 000: StringEquals with wildcard values never matches", positive=True,
         policy=policy(allow(["kms:Decrypt"], "arn:aws:kms:*:*:key/*", {"StringEquals": {"kms:ViaService": ["s3.*.amazonaws.com"]}})),
         coffer=["WILDCARD_WITHOUT_LIKE_OPERATOR"], parliament=[], cloudsplaining=[]),
    dict(name="seed 000: iam:PassedToService never present for iam:GetRole", positive=True,
         policy=policy(allow(["iam:PassRole", "iam:GetRole"], "arn:aws:iam::*:role/app-*", {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})),
         coffer=["UNSUPPORTED_ACTION_FOR_CONDITION_KEY"], parliament=["UNKNOWN_CONDITION_FOR_ACTION"], cloudsplaining=[]),
    dict(name="seed 000: ListSecrets on a secret ARN is never allowed", positive=True,
         policy=policy(allow(["secretsmanager:ListSecrets"], "arn:aws:secretsmanager:*:*:secret:app/*")),
         coffer=["RESOURCE_MISMATCH"], parliament=["RESOURCE_MISMATCH"], cloudsplaining=[]),
    dict(name="seed 002: RunInstances on instance/* alone is always denied", positive=True,
         policy=policy(allow("ec2:RunInstances", "arn:aws:ec2:*:*:instance/*", {"StringLike": {"ec2:InstanceType": ["c5.*"]}})),
         coffer=["MISSING_REQUIRED_RESOURCE"], parliament=[], cloudsplaining=[]),
    # Least privilege.
    dict(name="GetSecretValue on every secret", positive=True, policy=policy(allow("secretsmanager:GetSecretValue")),
         coffer=["SECRET_DATA_ON_ALL_RESOURCES"], parliament=[], cloudsplaining=["allows_data_exfiltration_actions"]),
    dict(name="GetSecretValue on one application's secrets", positive=False,
         policy=policy(allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*")),
         coffer=["SECRET_DATA_ON_ALL_RESOURCES"], parliament=[], cloudsplaining=["allows_data_exfiltration_actions"]),
    dict(name="escalation: AttachUserPolicy on *", positive=True, policy=policy(allow("iam:AttachUserPolicy")),
         coffer=["PRIVILEGE_ESCALATION"], parliament=["PRIVILEGE_ESCALATION"], cloudsplaining=["allows_privilege_escalation"]),
    dict(name="escalation: PassRole + RunInstances on *", positive=True, policy=policy(allow(["iam:PassRole", "ec2:RunInstances"])),
         coffer=["PRIVILEGE_ESCALATION"], parliament=["PRIVILEGE_ESCALATION"], cloudsplaining=["allows_privilege_escalation"]),
    dict(name="escalation removed by a Deny", positive=False,
         policy=policy(allow(["iam:AttachUserPolicy", "iam:ListUsers"]), {"Effect": "Deny", "Action": "iam:AttachUserPolicy", "Resource": "*"}),
         coffer=["PRIVILEGE_ESCALATION"], parliament=["PRIVILEGE_ESCALATION"], cloudsplaining=["allows_privilege_escalation"]),
    dict(name="own access keys only (self-service)", positive=False,
         policy=policy(allow("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/${aws:username}")),
         coffer=["PRIVILEGE_ESCALATION"], parliament=["PRIVILEGE_ESCALATION"], cloudsplaining=["allows_privilege_escalation"]),
    dict(name="credentials exposure: CreateAccessKey on *", positive=True, policy=policy(allow("iam:CreateAccessKey")),
         coffer=["CREDENTIALS_EXPOSURE"], parliament=["CREDENTIALS_EXPOSURE"], cloudsplaining=["credentials_exposure"]),
    dict(name="PassRole on every role", positive=True, policy=policy(allow("iam:PassRole")),
         coffer=["PASS_ROLE_WITH_STAR_IN_RESOURCE"], parliament=[], cloudsplaining=["permissions_management_without_constraints"]),
    dict(name="PassRole on named roles without iam:PassedToService", positive=True,
         policy=policy(allow("iam:PassRole", "arn:aws:iam::123456789012:role/app")),
         coffer=["PASS_ROLE_WITHOUT_SERVICE_CONDITION"], parliament=[], cloudsplaining=[]),
    dict(name="Allow with NotAction", positive=True, policy=policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
         coffer=["ALLOW_WITH_NOT_ACTION"], parliament=[], cloudsplaining=[]),
    dict(name="Allow with NotResource", positive=True, policy=policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::private/*"}),
         coffer=["ALLOW_WITH_NOT_RESOURCE"], parliament=["NOTRESOURCE_WITH_ALLOW"], cloudsplaining=[]),
    dict(name="full administrator", positive=True, policy=policy(allow("*")),
         coffer=["FULL_ADMINISTRATOR_ACCESS"], parliament=[], cloudsplaining=["service_wildcard"]),
    dict(name="service wildcard kms:*", positive=True, policy=policy(allow("kms:*")),
         coffer=["SERVICE_WILDCARD"], parliament=[], cloudsplaining=["service_wildcard"]),
    # Grammar and semantics.
    dict(name="ForAllValues on a single-valued key", positive=True,
         policy=policy(allow("s3:GetObject", "arn:aws:s3:::b/*", {"ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-12345678"}})),
         coffer=["FORALLVALUES_WITH_SINGLE_VALUED_KEY"], parliament=["SINGLE_VALUE_CONDITION_TOO_PERMISSIVE"], cloudsplaining=[]),
    dict(name="misspelt action", positive=True, policy=policy(allow("iam:PassRol")),
         coffer=["INVALID_ACTION"], parliament=["UNKNOWN_ACTION"], cloudsplaining=[]),
    dict(name="misspelt service condition key", positive=True,
         policy=policy(allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:*:secret:a", {"StringEquals": {"secretsmanager:VersionStages": "AWSCURRENT"}})),
         coffer=["INVALID_SERVICE_CONDITION_KEY"], parliament=["UNKNOWN_CONDITION_FOR_ACTION"], cloudsplaining=[]),
    dict(name="string operator on an IP key", positive=True,
         policy=policy(allow("s3:GetObject", "arn:aws:s3:::b/*", {"StringEquals": {"aws:SourceIp": "203.0.113.0/24"}})),
         coffer=["TYPE_MISMATCH"], parliament=["MISMATCHED_TYPE"], cloudsplaining=[]),
    dict(name="private range in aws:SourceIp never matches", positive=True,
         policy=policy(allow("s3:GetObject", "arn:aws:s3:::b/*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
         coffer=["PRIVATE_IP_ADDRESS"], parliament=[], cloudsplaining=[]),
    dict(name="Deny without MFA that long-term keys escape", positive=True,
         policy=policy({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}),
         coffer=["BAD_PATTERN_FOR_MFA"], parliament=["BAD_PATTERN_FOR_MFA"], cloudsplaining=[]),
    dict(name="region in an IAM ARN", positive=True, policy=policy(allow("iam:GetUser", "arn:aws:iam:us-east-1:123456789012:user/a")),
         coffer=["ARN_REGION_NOT_ALLOWED"], parliament=["RESOURCE_MISMATCH"], cloudsplaining=[]),
    dict(name="a correct, narrow policy", positive=False,
         policy=policy(allow(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*")),
         coffer=["*"], parliament=["*"], cloudsplaining=["*"]),
]
