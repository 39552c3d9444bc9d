"""A rotation function in the shape of AWS's SecretsManagerRotationTemplate, for Lambda, unchanged:
boto3 with no endpoint or credentials in the code (the runner's environment supplies them).

FAIL_STEP in the secret's tag `fail-step` makes that step raise, to inject failures.
SLEEP_AT_STEP (tag `sleep-step`) sleeps for 60 s there, to be killed or timed out."""
import json
import time

import boto3


def lambda_handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager")
    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))
    tags = {t["Key"]: t["Value"] for t in metadata.get("Tags", [])}
    if tags.get("sleep-step") == step:
        time.sleep(60)
    if tags.get("fail-step") == step:
        raise RuntimeError("injected failure at %s" % step)
    if step == "createSecret":
        current = json.loads(client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            current["password"] = client.get_random_password(ExcludeCharacters="/@\"'\\")["RandomPassword"]
            client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current),
                                    VersionStages=["AWSPENDING"], RotationToken=event["RotationToken"])
    elif step == "finishSecret":
        current_version = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
        client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                           RemoveFromVersionId=current_version)
