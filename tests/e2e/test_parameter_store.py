"""Parameter Store through the real aws CLI and boto3: seed 003's commands as written, and AWS's semantics."""
import json
import re
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import aws_env, fails

# Seed 003_1803b2d918618988.txt, "Create Parameters in AWS", verbatim.
CREATE_STAGING = [
    '''aws ssm put-parameter \\
    --name "/ELASMETRICS/STAGING/ELASTICSEARCH/PASSWORD" \\
    --value "your-es-password" \\
    --type "SecureString" \\
    --description "Elasticsearch password for staging" \\
    --region eu-west-1''',
    '''aws ssm put-parameter \\
    --name "/ELASMETRICS/STAGING/MYSQL/PASSWORD" \\
    --value "your-mysql-password" \\
    --type "SecureString" \\
    --description "MySQL password for staging" \\
    --region eu-west-1''',
    '''aws ssm put-parameter \\
    --name "/ELASMETRICS/STAGING/ELASTICSEARCH/USERNAME" \\
    --value "elastic_user" \\
    --type "String" \\
    --description "Elasticsearch username for staging" \\
    --region eu-west-1''',
]

# "Create Production Parameters", verbatim.
CREATE_PRODUCTION = [
    '''aws ssm put-parameter \\
    --name "/ELASMETRICS/PRODUCTION/ELASTICSEARCH/PASSWORD" \\
    --value "STRONG_PRODUCTION_PASSWORD" \\
    --type "SecureString" \\
    --region eu-west-1''',
    '''aws ssm put-parameter \\
    --name "/ELASMETRICS/PRODUCTION/ELASTICSEARCH/USERNAME" \\
    --value "elastic_prod" \\
    --type "String" \\
    --region eu-west-1''',
    '''aws ssm put-parameter \\
    --name "/ELASMETRICS/PRODUCTION/MYSQL/PASSWORD" \\
    --value "STRONG_MYSQL_PASSWORD" \\
    --type "SecureString" \\
    --region eu-west-1''',
    '''aws ssm put-parameter \\
    --name "/ELASMETRICS/PRODUCTION/MYSQL/USER" \\
    --value "metrics_user" \\
    --type "String" \\
    --region eu-west-1''',
]

# "Option 3: Use AWS with Test Parameters", verbatim (region from the profile).
CREATE_DEV = '''aws ssm put-parameter \\
    --name "/ELASMETRICS/DEV/ELASTICSEARCH/PASSWORD" \\
    --value "dev-password" \\
    --type "SecureString"'''

# "Example 2: Multi-Environment Setup", verbatim.
MULTI_ENV = '''for env in STAGING PRODUCTION; do
  aws ssm put-parameter \\
      --name "/ELASMETRICS/$env/ELASTICSEARCH/PASSWORD" \\
      --value "$env-es-password" \\
      --type "SecureString" \\
      --region eu-west-1
  
  aws ssm put-parameter \\
      --name "/ELASMETRICS/$env/MYSQL/PASSWORD" \\
      --value "$env-mysql-password" \\
      --type "SecureString" \\
      --region eu-west-1
done'''

DESCRIBE = 'aws ssm describe-parameters --region eu-west-1'
GET_CHECK = '''aws ssm get-parameter \\
    --name "/ELASMETRICS/STAGING/ELASTICSEARCH/PASSWORD" \\
    --with-decryption \\
    --region eu-west-1'''
GET_MYSQL = 'aws ssm get-parameter --name "/ELASMETRICS/STAGING/MYSQL/PASSWORD" --with-decryption --region eu-west-1'
DELETE_OLD = 'aws ssm delete-parameter --name "/ELASMETRICS/STAGING/OLD_PARAM" --region eu-west-1'
BY_PATH = 'aws ssm get-parameters-by-path --path "/ELASMETRICS/STAGING/" --recursive --with-decryption --region eu-west-1'


def run(command, coffer, env):
    # Every `aws ssm` in the seed gets the endpoint, nothing else.
    command = command.replace("aws ssm ", f"aws --endpoint-url {coffer.endpoint} ssm ")
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], env=env, capture_output=True, text=True, timeout=120)


def ok(command, coffer, env):
    result = run(command, coffer, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None




def test_seed_003_commands_as_written(coffer, tmp_path):
    env = aws_env(tmp_path, coffer, profile="default")
    for command in CREATE_STAGING + CREATE_PRODUCTION:
        assert ok(command, coffer, env) == {"Version": 1, "Tier": "Standard"}
    assert ok(CREATE_DEV, coffer, env)["Version"] == 1

    described = ok(DESCRIBE, coffer, env)["Parameters"]
    eu = {p["Name"]: p for p in described}
    assert set(eu) == {
        "/ELASMETRICS/STAGING/ELASTICSEARCH/PASSWORD", "/ELASMETRICS/STAGING/MYSQL/PASSWORD",
        "/ELASMETRICS/STAGING/ELASTICSEARCH/USERNAME", "/ELASMETRICS/PRODUCTION/ELASTICSEARCH/PASSWORD",
        "/ELASMETRICS/PRODUCTION/ELASTICSEARCH/USERNAME", "/ELASMETRICS/PRODUCTION/MYSQL/PASSWORD",
        "/ELASMETRICS/PRODUCTION/MYSQL/USER"}, "the DEV parameter went to the profile's region, us-east-1"
    assert eu["/ELASMETRICS/STAGING/MYSQL/PASSWORD"]["KeyId"] == "alias/aws/ssm"
    assert eu["/ELASMETRICS/STAGING/MYSQL/PASSWORD"]["Description"] == "MySQL password for staging"
    assert "KeyId" not in eu["/ELASMETRICS/PRODUCTION/MYSQL/USER"]

    assert ok(GET_CHECK, coffer, env)["Parameter"]["Value"] == "your-es-password"
    mysql = ok(GET_MYSQL, coffer, env)["Parameter"]
    assert mysql["Value"] == "your-mysql-password" and mysql["Type"] == "SecureString"

    by_path = ok(BY_PATH, coffer, env)["Parameters"]
    assert {p["Name"]: p["Value"] for p in by_path} == {
        "/ELASMETRICS/STAGING/ELASTICSEARCH/PASSWORD": "your-es-password",
        "/ELASMETRICS/STAGING/MYSQL/PASSWORD": "your-mysql-password",
        "/ELASMETRICS/STAGING/ELASTICSEARCH/USERNAME": "elastic_user"}

    deleted = run(DELETE_OLD, coffer, env)
    assert deleted.returncode != 0 and "ParameterNotFound" in deleted.stderr

    # Example 2 overwrites nothing without --overwrite: the parameters exist, so AWS refuses them.
    loop = run(MULTI_ENV, coffer, env)
    assert loop.stderr.count("ParameterAlreadyExists") == 4
    for name in ("/ELASMETRICS/STAGING/ELASTICSEARCH/PASSWORD", "/ELASMETRICS/PRODUCTION/MYSQL/PASSWORD"):
        assert coffer.client("ssm", region="eu-west-1").get_parameter(Name=name)["Parameter"]["Version"] == 1


def test_multi_environment_loop_on_a_fresh_store(coffer, tmp_path):
    env = aws_env(tmp_path, coffer, profile="default")
    loop = run(MULTI_ENV, coffer, env)
    assert loop.returncode == 0, loop.stderr
    ssm = coffer.client("ssm", region="eu-west-1")
    for env_name in ("STAGING", "PRODUCTION"):
        got = ssm.get_parameter(Name=f"/ELASMETRICS/{env_name}/MYSQL/PASSWORD", WithDecryption=True)["Parameter"]
        assert got["Value"] == f"{env_name}-mysql-password"


def test_seed_003_config_dictionary_from_get_parameters_by_path(coffer):
    """The service in seed 003 maps a path's parameters to {'PASSWORD': ..., 'USER': ..., 'HOST': ...}."""
    ssm = coffer.client("ssm", region="eu-west-1")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/MYSQL/PASSWORD", Value="pw", Type="SecureString")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/MYSQL/USER", Value="metrics_user", Type="String")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/MYSQL/HOST", Value="db.internal", Type="String")
    config, token = {}, None
    while True:
        kwargs = {"Path": "/ELASMETRICS/STAGING/MYSQL", "Recursive": True, "WithDecryption": True, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = ssm.get_parameters_by_path(**kwargs)
        for parameter in page["Parameters"]:
            config[parameter["Name"].split("/")[-1]] = parameter["Value"]
        token = page.get("NextToken")
        if not token:
            break
    assert config == {"PASSWORD": "pw", "USER": "metrics_user", "HOST": "db.internal"}


def test_names_types_and_tiers(coffer):
    ssm = coffer.client("ssm")
    fails(lambda: ssm.put_parameter(Name="/aws/x", Value="v", Type="String"), "AccessDeniedException")
    fails(lambda: ssm.put_parameter(Name="ssm-thing", Value="v", Type="String"), "ValidationException", 'prefixed with "aws" or "ssm"')
    fails(lambda: ssm.put_parameter(Name="a/b", Value="v", Type="String"), "ValidationException", "fully qualified")
    # A read of a path without its leading slash, or with an empty level, gets the path message (LocalStack's
    # AWS-validated test_hierarchical_parameter).
    for bad in ["a/b/c", "/a//b//c"]:
        fails(lambda: ssm.get_parameter(Name=bad), "ValidationException", "sub-paths divided by slash symbol")
    fails(lambda: ssm.put_parameter(Name="/bad name", Value="v", Type="String"), "ValidationException")
    deep = "/" + "/".join(f"l{i}" for i in range(16))
    fails(lambda: ssm.put_parameter(Name=deep, Value="v", Type="String"), "HierarchyLevelLimitExceededException")
    ssm.put_parameter(Name="/" + "/".join(f"l{i}" for i in range(15)), Value="v", Type="String")
    fails(lambda: ssm.put_parameter(Name="/untyped", Value="v"), "ValidationException", "parameter type is required")
    fails(lambda: ssm.put_parameter(Name="/big", Value="x" * 4097, Type="String"), "ValidationException", "Standard tier")
    assert ssm.put_parameter(Name="/big", Value="x" * 4097, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/smart", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/small", Value="x", Type="String", Tier="Intelligent-Tiering")["Tier"] == "Standard"
    fails(lambda: ssm.put_parameter(Name="/big", Value="y", Type="String", Tier="Standard", Overwrite=True), "ValidationException", "downgrade")
    fails(lambda: ssm.put_parameter(Name="/huge", Value="x" * 8193, Type="String", Tier="Advanced"), "ValidationException")
    ssm.put_parameter(Name="/list", Value="a,b,c", Type="StringList")
    assert ssm.get_parameter(Name="/list")["Parameter"]["Type"] == "StringList"
    fails(lambda: ssm.put_parameter(Name="/pattern", Value="abc", Type="String", AllowedPattern="^\\d+$"), "ParameterPatternMismatchException")
    ssm.put_parameter(Name="/pattern", Value="123", Type="String", AllowedPattern="^\\d+$")
    fails(lambda: ssm.put_parameter(Name="/pattern", Value="12a", Type="String", Overwrite=True), "ParameterPatternMismatchException")
    fails(lambda: ssm.put_parameter(Name="/tagged", Value="v", Type="String", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}]),
          "ValidationException", "tags and overwrite")
    fails(lambda: ssm.put_parameter(Name="/plainkey", Value="v", Type="String", KeyId="alias/aws/ssm"), "ValidationException")


def test_versions_selectors_and_labels(coffer):
    ssm = coffer.client("ssm")
    for i in range(1, 4):
        assert ssm.put_parameter(Name="/app/flag", Value=f"v{i}", Type="String", Overwrite=i > 1)["Version"] == i
    assert ssm.get_parameter(Name="/app/flag")["Parameter"]["Value"] == "v3"
    second = ssm.get_parameter(Name="/app/flag:2")["Parameter"]
    assert second["Value"] == "v2" and second["Selector"] == ":2" and second["Name"] == "/app/flag"
    fails(lambda: ssm.get_parameter(Name="/app/flag:9"), "ParameterVersionNotFound")
    result = ssm.label_parameter_version(Name="/app/flag", ParameterVersion=1, Labels=["stable", "aws-bad", "1bad", "ok.label"])
    assert sorted(result["InvalidLabels"]) == ["1bad", "aws-bad"] and result["ParameterVersion"] == 1
    assert ssm.get_parameter(Name="/app/flag:stable")["Parameter"]["Value"] == "v1"
    ssm.label_parameter_version(Name="/app/flag", Labels=["stable"])
    assert ssm.get_parameter(Name="/app/flag:stable")["Parameter"]["Value"] == "v3"
    history = ssm.get_parameter_history(Name="/app/flag")["Parameters"]
    assert [h["Version"] for h in history] == [1, 2, 3]
    assert history[0]["Labels"] == ["ok.label"] and history[2]["Labels"] == ["stable"]
    fails(lambda: ssm.label_parameter_version(Name="/app/flag", ParameterVersion=3, Labels=[f"l{i}" for i in range(10)]),
          "ParameterVersionLabelLimitExceeded")
    removed = ssm.unlabel_parameter_version(Name="/app/flag", ParameterVersion=3, Labels=["stable", "missing"])
    assert removed == {"RemovedLabels": ["stable"], "InvalidLabels": ["missing"], "ResponseMetadata": removed["ResponseMetadata"]}
    arn = ssm.get_parameter(Name="/app/flag")["Parameter"]["ARN"]
    assert arn.endswith(":parameter/app/flag")
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "v3"
    got = ssm.get_parameters(Names=["/app/flag", "/app/flag:1", "/missing"])
    assert sorted(p["Value"] for p in got["Parameters"]) == ["v1", "v3"] and got["InvalidParameters"] == ["/missing"]


def test_one_hundred_versions_and_a_labelled_oldest(coffer):
    ssm = coffer.client("ssm")
    ssm.put_parameter(Name="/many", Value="1", Type="String")
    for i in range(2, 101):
        ssm.put_parameter(Name="/many", Value=str(i), Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/many", ParameterVersion=1, Labels=["keep"])
    fails(lambda: ssm.put_parameter(Name="/many", Value="101", Type="String", Overwrite=True), "ParameterMaxVersionLimitExceeded")
    ssm.unlabel_parameter_version(Name="/many", ParameterVersion=1, Labels=["keep"])
    assert ssm.put_parameter(Name="/many", Value="101", Type="String", Overwrite=True)["Version"] == 101
    fails(lambda: ssm.get_parameter(Name="/many:1"), "ParameterVersionNotFound")
    assert ssm.get_parameter(Name="/many:2")["Parameter"]["Value"] == "2"


def test_paths_filters_and_describe(coffer):
    ssm = coffer.client("ssm")
    ssm.put_parameter(Name="/p/a", Value="1", Type="String", Tags=[{"Key": "team", "Value": "red"}])
    ssm.put_parameter(Name="/p/b", Value="2", Type="SecureString")
    ssm.put_parameter(Name="/p/deep/c", Value="3", Type="String")
    ssm.put_parameter(Name="top", Value="4", Type="String")
    # At the root `top` and `/top` are one parameter, answered in the spelling asked for (LocalStack's AWS-validated test).
    assert [(p["Name"], p["Value"]) for p in ssm.get_parameters(Names=["/top"])["Parameters"]] == [("/top", "4")]
    assert ssm.get_parameter(Name="top")["Parameter"]["Name"] == "top"
    assert ssm.get_parameter(Name="/top")["Parameter"]["ARN"] == ssm.get_parameter(Name="top")["Parameter"]["ARN"]
    # By ARN a parameter answers with the name it was made with (moto's test_get_parameter).
    assert ssm.get_parameter(Name=ssm.get_parameter(Name="/p/a")["Parameter"]["ARN"])["Parameter"]["Name"] == "/p/a"
    assert ssm.get_parameter(Name=ssm.get_parameter(Name="top")["Parameter"]["ARN"])["Parameter"]["Name"] == "top"
    fails(lambda: ssm.get_parameter(Name="top:1:2"), "ParameterNotFound", "Parameter top:1:2 not found.")
    fails(lambda: ssm.put_parameter(Name="/aws_test/path", Value="v", Type="String"), "AccessDeniedException",
          "No access to reserved parameter name: /aws_test/path.")
    one_level = ssm.get_parameters_by_path(Path="/p")["Parameters"]
    assert sorted(p["Name"] for p in one_level) == ["/p/a", "/p/b"]
    assert [p["Value"] for p in one_level if p["Name"] == "/p/b"][0] != "2", "SecureString without decryption stays encrypted"
    recursive = ssm.get_parameters_by_path(Path="/p/", Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["String"]}])
    assert sorted(p["Name"] for p in recursive["Parameters"]) == ["/p/a", "/p/deep/c"]
    fails(lambda: ssm.get_parameters_by_path(Path="/p", ParameterFilters=[{"Key": "Name", "Values": ["x"]}]), "InvalidFilterKey",
          "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId].")
    fails(lambda: ssm.describe_parameters(ParameterFilters=[{"Key": "Label", "Values": ["x"]}]), "InvalidFilterKey",
          "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].")
    def names(**kwargs):
        return sorted(p["Name"] for p in ssm.describe_parameters(**kwargs)["Parameters"])
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/p"]}]) == ["/p/a", "/p/b", "/p/deep/c"]
    assert names(ParameterFilters=[{"Key": "Path", "Values": ["/"]}]) == ["top"]
    assert names(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/p/d"]}]) == ["/p/deep/c"]
    assert names(ParameterFilters=[{"Key": "Name", "Option": "Contains", "Values": ["ee"]}]) == ["/p/deep/c"]
    assert names(ParameterFilters=[{"Key": "tag:team", "Values": ["red"]}]) == ["/p/a"]
    assert names(ParameterFilters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == ["/p/b"]
    assert names(Filters=[{"Key": "Type", "Values": ["SecureString"]}]) == ["/p/b"]
    fails(lambda: ssm.describe_parameters(ParameterFilters=[{"Key": "Tier", "Values": ["Gold"]}]), "InvalidFilterValue")
    fails(lambda: ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": ["/aws", "/ssm"]}]), "ValidationException",
          'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive).')
    fails(lambda: ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "option", "Values": ["x"]}]), "InvalidFilterOption",
          "The following filter option is not valid: option. Valid options include: [BeginsWith, Equals].")
    fails(lambda: ssm.describe_parameters(ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["String"]}]), "InvalidFilterOption")
    pages = list(ssm.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 1}))
    assert sum(len(p["Parameters"]) for p in pages) == 4
    # Without MaxResults a page holds 10 parameters (moto's test_describe_parameters_paging).
    for i in range(12):
        ssm.put_parameter(Name=f"/many/p{i}", Value="v", Type="String")
    first = ssm.describe_parameters()
    assert len(first["Parameters"]) == 10 and "NextToken" in first
    rest = ssm.describe_parameters(NextToken=first["NextToken"])
    assert len(rest["Parameters"]) == 6 and "NextToken" not in rest
    for i in range(12):
        ssm.delete_parameter(Name=f"/many/p{i}")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/p/a", Tags=[{"Key": "env", "Value": "dev"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/p/a", TagKeys=["team"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/p/a")["TagList"] == [{"Key": "env", "Value": "dev"}]
    fails(lambda: ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/none"), "InvalidResourceId")
    deleted = ssm.delete_parameters(Names=["/p/a", "/nope"])
    assert deleted["DeletedParameters"] == ["/p/a"] and deleted["InvalidParameters"] == ["/nope"]


def test_secure_strings_follow_their_kms_key(coffer):
    ssm, kms = coffer.client("ssm"), coffer.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    ssm.put_parameter(Name="/secure/custom", Value="custom-key-secret", Type="SecureString", KeyId=key_id)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/secure/custom"]}])["Parameters"][0]
    assert meta["KeyId"] == key_id
    assert ssm.get_parameter(Name="/secure/custom", WithDecryption=True)["Parameter"]["Value"] == "custom-key-secret"
    kms.disable_key(KeyId=key_id)
    fails(lambda: ssm.get_parameter(Name="/secure/custom", WithDecryption=True), "InvalidKeyId")
    fails(lambda: ssm.put_parameter(Name="/secure/custom", Value="x", Type="SecureString", KeyId=key_id, Overwrite=True), "InvalidKeyId")
    kms.enable_key(KeyId=key_id)
    assert ssm.get_parameter(Name="/secure/custom", WithDecryption=True)["Parameter"]["Value"] == "custom-key-secret"
    fails(lambda: ssm.put_parameter(Name="/secure/none", Value="x", Type="SecureString", KeyId="alias/none"), "InvalidKeyId")
    assert kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyManager"] == "AWS"


def test_secrets_manager_reference(coffer):
    coffer.client().create_secret(Name="db/creds", SecretString='{"user":"u"}')
    ssm = coffer.client("ssm")
    fails(lambda: ssm.get_parameter(Name="/aws/reference/secretsmanager/db/creds"), "ValidationException", "WithDecryption")
    got = ssm.get_parameter(Name="/aws/reference/secretsmanager/db/creds", WithDecryption=True)["Parameter"]
    assert got["Value"] == '{"user":"u"}' and got["Type"] == "SecureString" and ":secretsmanager:" in got["ARN"]
    assert got["Name"] == "/aws/reference/secretsmanager/db/creds" and got["Version"] == 0
    # SourceResult is Secrets Manager's read as AWS serializes it (camel case, the date as text; a captured
    # AWS answer and LocalStack's AWS-validated test read `name` and `ARN` from it).
    source = json.loads(got["SourceResult"])
    current = coffer.client().get_secret_value(SecretId="db/creds")
    assert source == {"ARN": got["ARN"], "name": "db/creds", "versionId": current["VersionId"], "secretString": '{"user":"u"}',
                      "versionStages": ["AWSCURRENT"], "createdDate": source["createdDate"]}
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M", source["createdDate"]), source["createdDate"]
    fails(lambda: ssm.get_parameter(Name="/aws/reference/secretsmanager/none", WithDecryption=True), "ParameterNotFound",
          "Secret /aws/reference/secretsmanager/none not found.")


def test_get_parameters_by_path_pages_through_the_path_alone(coffer):
    """A path's parameters are read from the path's prefix in name order: neighbours whose names sort
    right beside the path (`/app/prod0`, `/app/prodx/y`, `/app/prod` itself) stay out, pages of ten follow
    each other by token to the end, and the root path lists root-level names with and without the slash."""
    ssm = coffer.client("ssm")
    inside = [f"/app/prod/k{i:02d}" for i in range(23)]
    deeper = ["/app/prod/deep/a", "/app/prod/deep/b/c"]
    for name in inside + deeper:
        ssm.put_parameter(Name=name, Value="s-" + name, Type="SecureString")
    for name in ["/app/prod", "/app/prod0", "/app/prodx/y", "/app/pro/z", "/zz/other", "plain", "/rooted"]:
        ssm.put_parameter(Name=name, Value="v", Type="String")

    def walk(**kwargs):
        seen, token, pages = [], None, 0
        while True:
            page = ssm.get_parameters_by_path(**kwargs, **({"NextToken": token} if token else {}))
            pages += 1
            assert len(page["Parameters"]) <= kwargs.get("MaxResults", 10)
            seen += [(p["Name"], p["Value"]) for p in page["Parameters"]]
            token = page.get("NextToken")
            if not token:
                return seen, pages

    one_level, pages = walk(Path="/app/prod", WithDecryption=True)
    assert one_level == [(name, "s-" + name) for name in inside]
    assert pages == 3
    recursive, _ = walk(Path="/app/prod/", Recursive=True, MaxResults=4)
    assert [name for name, _ in recursive] == sorted(inside + deeper)
    encrypted, _ = walk(Path="/app/prod/deep", Recursive=True)
    assert [name for name, _ in encrypted] == deeper and all(value != "s-" + name for name, value in encrypted)
    root, _ = walk(Path="/")
    assert [name for name, _ in root] == ["/rooted", "plain"]
    assert walk(Path="/app/prod/k00")[0] == []
    fails(lambda: ssm.get_parameters_by_path(Path="/app/prod", NextToken="bm90LWEtdG9rZW4="), "InvalidNextToken")
