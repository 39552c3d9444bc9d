"""KMS through the real aws CLI and boto3: keys, aliases, states, cryptography, rotation, policies."""
import json
import subprocess

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import sigv4
from conftest import aws_env, fails

SEED_001_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::ACCOUNT:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow SageMaker to use the key",
      "Effect": "Allow",
      "Principal": {"Service": "sagemaker.amazonaws.com"},
      "Action": [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*"
      ],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:ViaService": "sagemaker.ap-southeast-1.amazonaws.com"
        }
      }
    }
  ]
}"""




def aws(coffer, env, *args):
    result = subprocess.run(["aws", "--endpoint-url", coffer.endpoint, *args], env=env, capture_output=True, text=True, timeout=60)
    return result


def test_seed_001_key_with_rotation_and_policy(coffer, tmp_path):
    env = aws_env(tmp_path, coffer, profile="default")
    account = coffer.client("kms").create_key()["KeyMetadata"]["AWSAccountId"]
    policy = SEED_001_POLICY.replace("ACCOUNT", account)
    created = aws(coffer, env, "kms", "create-key", "--description", "StudyAI dev SageMaker key", "--policy", policy)
    assert created.returncode == 0, created.stderr
    key_id = json.loads(created.stdout)["KeyMetadata"]["KeyId"]
    assert aws(coffer, env, "kms", "create-alias", "--alias-name", "alias/studyai-dev-sagemaker", "--target-key-id", key_id).returncode == 0
    assert aws(coffer, env, "kms", "enable-key-rotation", "--key-id", key_id).returncode == 0
    status = json.loads(aws(coffer, env, "kms", "get-key-rotation-status", "--key-id", key_id).stdout)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365 and "NextRotationDate" in status
    stored = json.loads(aws(coffer, env, "kms", "get-key-policy", "--key-id", key_id, "--policy-name", "default").stdout)
    assert json.loads(stored["Policy"]) == json.loads(policy)
    described = json.loads(aws(coffer, env, "kms", "describe-key", "--key-id", "alias/studyai-dev-sagemaker").stdout)["KeyMetadata"]
    assert described["KeyId"] == key_id and described["KeyState"] == "Enabled" and described["KeyManager"] == "CUSTOMER"
    assert described["Arn"] == f"arn:aws:kms:us-east-1:{account}:key/{key_id}"
    assert described["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    # Seed 000's troubleshooting command, as written: a placeholder id is not a key.
    result = aws(coffer, env, "kms", "describe-key", "--key-id", "your-kms-key-id")
    assert result.returncode != 0 and "NotFoundException" in result.stderr and "Invalid keyId 'your-kms-key-id'" in result.stderr
    # Seed 001's deletion window.
    scheduled = json.loads(aws(coffer, env, "kms", "schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7").stdout)
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7


@pytest.mark.parametrize("spec,usage", [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("RSA_2048", "ENCRYPT_DECRYPT"), ("RSA_3072", "ENCRYPT_DECRYPT"),
    ("RSA_4096", "ENCRYPT_DECRYPT"), ("RSA_2048", "SIGN_VERIFY"), ("ECC_NIST_P256", "SIGN_VERIFY"),
    ("ECC_NIST_P384", "SIGN_VERIFY"), ("ECC_NIST_P521", "SIGN_VERIFY"), ("HMAC_224", "GENERATE_VERIFY_MAC"),
    ("HMAC_256", "GENERATE_VERIFY_MAC"), ("HMAC_384", "GENERATE_VERIFY_MAC"), ("HMAC_512", "GENERATE_VERIFY_MAC"),
    ("ECC_SECG_P256K1", "SIGN_VERIFY"), ("ML_DSA_44", "SIGN_VERIFY"), ("ML_DSA_65", "SIGN_VERIFY"), ("ML_DSA_87", "SIGN_VERIFY")])
def test_round_trips_for_every_key_spec(coffer, spec, usage):
    kms = coffer.client("kms")
    meta = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    key_id, message = meta["KeyId"], b"coffer round trip"
    assert meta["KeySpec"] == spec and meta["KeyUsage"] == usage
    if usage == "ENCRYPT_DECRYPT":
        for algorithm in meta["EncryptionAlgorithms"]:
            blob = kms.encrypt(KeyId=key_id, Plaintext=message, EncryptionAlgorithm=algorithm)["CiphertextBlob"]
            kwargs = {} if algorithm == "SYMMETRIC_DEFAULT" else {"KeyId": key_id}
            assert kms.decrypt(CiphertextBlob=blob, EncryptionAlgorithm=algorithm, **kwargs)["Plaintext"] == message
    elif usage == "SIGN_VERIFY":
        for algorithm in meta["SigningAlgorithms"]:
            if algorithm == "ED25519_PH_SHA_512":
                continue
            signature = kms.sign(KeyId=key_id, Message=message, SigningAlgorithm=algorithm)["Signature"]
            assert kms.verify(KeyId=key_id, Message=message, Signature=signature, SigningAlgorithm=algorithm)["SignatureValid"]
            fails(lambda: kms.verify(KeyId=key_id, Message=message + b"!", Signature=signature, SigningAlgorithm=algorithm),
                  "KMSInvalidSignatureException")
        assert kms.get_public_key(KeyId=key_id)["PublicKey"]
    else:
        algorithm = meta["MacAlgorithms"][0]
        mac = kms.generate_mac(KeyId=key_id, Message=message, MacAlgorithm=algorithm)["Mac"]
        assert kms.verify_mac(KeyId=key_id, Message=message, Mac=mac, MacAlgorithm=algorithm)["MacValid"]
        fails(lambda: kms.verify_mac(KeyId=key_id, Message=b"other", Mac=mac, MacAlgorithm=algorithm), "KMSInvalidMacException")


def test_encryption_context_and_reencrypt(coffer):
    kms = coffer.client("kms")
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=a, Plaintext=b"ctx", EncryptionContext={"purpose": "test"})["CiphertextBlob"]
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "InvalidCiphertextException")
    fails(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other"}), "InvalidCiphertextException")
    fails(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=b, EncryptionContext={"purpose": "test"}), "IncorrectKeyException")
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "test"})
    assert out["Plaintext"] == b"ctx" and out["KeyId"].endswith(a)
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"purpose": "test"}, DestinationKeyId=b)
    assert moved["SourceKeyId"].endswith(a) and moved["KeyId"].endswith(b)
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"ctx"
    fails(lambda: kms.encrypt(KeyId=a, Plaintext=b"x" * 4097), "ValidationException")
    data = kms.generate_data_key(KeyId=a, KeySpec="AES_128")
    assert len(data["Plaintext"]) == 16 and kms.decrypt(CiphertextBlob=data["CiphertextBlob"])["Plaintext"] == data["Plaintext"]
    assert "Plaintext" not in kms.generate_data_key_without_plaintext(KeyId=a, NumberOfBytes=64)
    fails(lambda: kms.generate_data_key(KeyId=a), "ValidationException")
    pair = kms.generate_data_key_pair(KeyId=a, KeyPairSpec="ECC_NIST_P256")
    assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"] == pair["PrivateKeyPlaintext"]
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024


def test_answers_recorded_from_aws(coffer):
    # Messages from LocalStack's AWS-validated KMS snapshots.
    kms = coffer.client("kms")
    loose = coffer.client("kms", config=Config(parameter_validation=False))
    assert fails(lambda: loose.generate_random(), "ValidationException") == "NumberOfBytes is required."
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    for algorithm, limit in [("RSAES_OAEP_SHA_1", 214), ("RSAES_OAEP_SHA_256", 190)]:
        blob = kms.encrypt(KeyId=rsa, Plaintext=b"x" * limit, EncryptionAlgorithm=algorithm)["CiphertextBlob"]
        assert kms.decrypt(KeyId=rsa, CiphertextBlob=blob, EncryptionAlgorithm=algorithm)["Plaintext"] == b"x" * limit
        assert fails(lambda: kms.encrypt(KeyId=rsa, Plaintext=b"x" * (limit + 1), EncryptionAlgorithm=algorithm),
                     "ValidationException") == f"Algorithm {algorithm} and key spec RSA_2048 cannot encrypt data larger than {limit} bytes."
    arn = kms.describe_key(KeyId=rsa)["KeyMetadata"]["Arn"]
    elsewhere = coffer.client("kms", region="ap-southeast-1")
    region = arn.split(":")[3]
    assert fails(lambda: elsewhere.describe_key(KeyId=arn), "NotFoundException") == f"Invalid arn {region}"
    assert fails(lambda: elsewhere.describe_key(KeyId=rsa), "NotFoundException") == f"Key '{arn.replace(region, 'ap-southeast-1')}' does not exist"
    assert fails(lambda: kms.describe_key(KeyId="mrk-fake-key-id"), "NotFoundException") == "Invalid keyId 'mrk-fake-key-id'"
    assert fails(lambda: kms.create_key(KeySpec="HMAC_256"), "ValidationException") == \
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
    assert kms.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert fails(lambda: kms.create_alias(AliasName="no-prefix", TargetKeyId=rsa), "ValidationException") == \
        'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html'


def test_rotation_keeps_old_ciphertexts(coffer):
    kms = coffer.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    before = kms.encrypt(KeyId=key_id, Plaintext=b"before rotation")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    after = kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=after)["Plaintext"] == b"after rotation"
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    coffer.restart()
    kms = coffer.client("kms")
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"before rotation"
    # botocore checks the minimum itself, so send the request by hand.
    key, secret = coffer.root_credentials()
    status, body = sigv4.signed_request(coffer.endpoint, "TrentService.EnableKeyRotation",
                                        {"KeyId": key_id, "RotationPeriodInDays": 30}, key, secret, service="kms")
    assert (status, body["__type"]) == (400, "ValidationException")


def test_blobs_are_padded_base64(coffer):
    """A blob member is decoded as standard, padded base64; anything else is a SerializationException and encrypts nothing."""
    kms = coffer.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    key, secret = coffer.root_credentials()

    def encrypt(plaintext):
        return sigv4.signed_request(coffer.endpoint, "TrentService.Encrypt", {"KeyId": key_id, "Plaintext": plaintext},
                                    key, secret, service="kms")

    status, body = encrypt("QUJDRA==")
    assert status == 200
    assert kms.decrypt(CiphertextBlob=__import__("base64").b64decode(body["CiphertextBlob"]))["Plaintext"] == b"ABCD"
    # Unpadded, padding inside the text, a stranger to the alphabet: each refused with the member named, never echoed.
    for text in ("QUJDRA", "QU=D", "QUJD====", "QUJ*", "QUJD\n"):
        status, body = encrypt(text)
        assert (status, body["__type"]) == (400, "SerializationException"), text
        assert "Plaintext" in body.get("message", body.get("Message", "")) and text not in json.dumps(body), text


def test_key_states(coffer):
    kms = coffer.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"state")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "DisabledException", "is disabled.")
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "DisabledException")
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"state"
    fails(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=6), "ValidationException")
    deletion = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert deletion["KeyState"] == "PendingDeletion"
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "KMSInvalidStateException", "is pending deletion.")
    fails(lambda: kms.enable_key(KeyId=key_id), "KMSInvalidStateException")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["PendingDeletionWindowInDays"] == 7
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    fails(lambda: kms.describe_key(KeyId="11111111-2222-3333-4444-555555555555"), "NotFoundException", "does not exist")
    fails(lambda: kms.describe_key(KeyId="alias/none"), "NotFoundException", "is not found.")
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    fails(lambda: kms.encrypt(KeyId=signing, Plaintext=b"x"), "InvalidKeyUsageException")
    fails(lambda: kms.create_key(KeySpec="HMAC_256", KeyUsage="ENCRYPT_DECRYPT"), "ValidationException")


def test_aliases_tags_grants_and_listing(coffer):
    kms = coffer.client("kms")
    a = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "red"}])["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=a)
    fails(lambda: kms.create_alias(AliasName="alias/app", TargetKeyId=b), "AlreadyExistsException")
    # AWS: an empty NotAuthorizedException under its reserved prefix, for every alias call; a colon refused
    # although the model's pattern allows it; a name without the prefix refused before any lookup.
    for call in (lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=b),
                 lambda: kms.update_alias(AliasName="alias/aws/secretsmanager", TargetKeyId=b),
                 lambda: kms.delete_alias(AliasName="alias/aws/ssm")):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "NotAuthorizedException"
        assert caught.value.response["Error"].get("Message", "") == ""
    fails(lambda: kms.create_alias(AliasName="alias/my:alias", TargetKeyId=b), "ValidationException",
          "alias/my:alias contains invalid characters for an alias")
    fails(lambda: kms.create_alias(AliasName="app2", TargetKeyId=b), "ValidationException")
    fails(lambda: kms.delete_alias(AliasName="app2"), "ValidationException", 'Alias must start with the prefix "alias/".')
    kms.update_alias(AliasName="alias/app", TargetKeyId=b)
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == b
    assert [x["AliasName"] for x in kms.list_aliases(KeyId=b)["Aliases"]] == ["alias/app"]
    # Key management takes a key ID or key ARN: an alias names no key there.
    for call in (lambda: kms.enable_key_rotation(KeyId="alias/app"), lambda: kms.get_key_policy(KeyId="alias/app", PolicyName="default"),
                 lambda: kms.list_resource_tags(KeyId="alias/app"), lambda: kms.list_key_policies(KeyId="alias/app"),
                 lambda: kms.schedule_key_deletion(KeyId="alias/app")):
        fails(call, "NotFoundException", "Invalid keyId 'alias/app'")
    assert kms.describe_key(KeyId=b)["KeyMetadata"]["KeyState"] == "Enabled"
    # Unfiltered, the list also names the aliases AWS keeps for its managed keys, without a target until
    # the key is made on first use.
    listed = {x["AliasName"]: x for page in kms.get_paginator("list_aliases").paginate() for x in page["Aliases"]}
    for name in ("alias/aws/ebs", "alias/aws/s3", "alias/aws/rds", "alias/aws/redshift"):
        assert "TargetKeyId" not in listed[name] and listed[name]["AliasArn"].endswith(":" + name)
    assert listed["alias/app"]["TargetKeyId"] == b
    # DescribeKey of such an alias makes the AWS managed key, as AWS's documentation says it does.
    ebs = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert ebs["KeyManager"] == "AWS" and ebs["Description"] == "Default key that protects my EBS data when no other key is defined"
    assert [x["TargetKeyId"] for x in kms.list_aliases(KeyId=ebs["KeyId"])["Aliases"]] == [ebs["KeyId"]]
    fails(lambda: kms.describe_key(KeyId="alias/aws/nosuchservice"), "NotFoundException")
    kms.delete_alias(AliasName="alias/app")
    fails(lambda: kms.describe_key(KeyId="alias/app"), "NotFoundException")
    kms.tag_resource(KeyId=a, Tags=[{"TagKey": "env", "TagValue": "dev"}])
    kms.untag_resource(KeyId=a, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=a)["Tags"] == [{"TagKey": "env", "TagValue": "dev"}]
    grant = kms.create_grant(KeyId=a, GranteePrincipal="arn:aws:iam::111122223333:role/app", Operations=["Decrypt", "Encrypt"],
                             RetiringPrincipal="arn:aws:iam::111122223333:role/admin")
    grants = kms.list_grants(KeyId=a)["Grants"]
    assert [g["GrantId"] for g in grants] == [grant["GrantId"]] and grants[0]["Operations"] == ["Decrypt", "Encrypt"]
    assert len(kms.list_retirable_grants(RetiringPrincipal="arn:aws:iam::111122223333:role/admin")["Grants"]) == 1
    kms.retire_grant(GrantToken=grant["GrantToken"])
    assert kms.list_grants(KeyId=a)["Grants"] == []
    g2 = kms.create_grant(KeyId=a, GranteePrincipal="arn:aws:iam::111122223333:role/app", Operations=["Decrypt"])
    kms.revoke_grant(KeyId=a, GrantId=g2["GrantId"])
    fails(lambda: kms.revoke_grant(KeyId=a, GrantId=g2["GrantId"]), "NotFoundException")
    keys = [k["KeyId"] for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1}) for k in page["Keys"]]
    assert {a, b} <= set(keys)
    assert kms.list_key_policies(KeyId=a)["PolicyNames"] == ["default"]
    fails(lambda: kms.put_key_policy(KeyId=a, PolicyName="default", Policy="{not json"), "MalformedPolicyDocumentException")
    default_policy = json.loads(kms.get_key_policy(KeyId=a, PolicyName="default")["Policy"])
    assert default_policy["Statement"][0]["Action"] == "kms:*"


def test_a_disabled_key_stops_a_secret(coffer):
    kms, sm = coffer.client("kms"), coffer.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/secrets", TargetKeyId=key_id)
    sm.create_secret(Name="guarded", SecretString="behind a key", KmsKeyId="alias/secrets")
    assert sm.describe_secret(SecretId="guarded")["KmsKeyId"] == "alias/secrets"
    version = sm.list_secret_version_ids(SecretId="guarded")["Versions"][0]
    assert version["KmsKeyIds"] == [kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]]
    kms.disable_key(KeyId=key_id)
    fails(lambda: sm.get_secret_value(SecretId="guarded"), "DecryptionFailure")
    fails(lambda: sm.put_secret_value(SecretId="guarded", SecretString="more"), "EncryptionFailure")
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId="guarded")["SecretString"] == "behind a key"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    fails(lambda: sm.get_secret_value(SecretId="guarded"), "DecryptionFailure")
    kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId="guarded")["SecretString"] == "behind a key"
    # Secrets without a named key use the AWS-managed aws/secretsmanager key, created on first use.
    sm.create_secret(Name="managed", SecretString="v")
    assert sm.list_secret_version_ids(SecretId="managed")["Versions"][0]["KmsKeyIds"] == ["DefaultEncryptionKey"]
    assert "KmsKeyId" not in sm.describe_secret(SecretId="managed")
    managed = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    # The AWS-managed key's policy lets the account describe it, not manage it.
    fails(lambda: kms.disable_key(KeyId=managed["KeyId"]), "AccessDeniedException", "because no resource-based policy allows the kms:DisableKey action")
    fails(lambda: kms.encrypt(KeyId="alias/aws/secretsmanager", Plaintext=b"x"), "AccessDeniedException")
    fails(lambda: sm.create_secret(Name="nokey", SecretString="v", KmsKeyId="alias/does-not-exist"), "ResourceNotFoundException")


def test_key_policy_lockout_safety_check(coffer):
    kms = coffer.client("kms")
    account = coffer.client("sts").get_caller_identity()["Account"]
    locked = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyUse", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:Encrypt", "Resource": "*"}]})
    managed = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]})
    message = "The new key policy will not allow you to update the key policy in the future."
    # A policy under which the caller could not call PutKeyPolicy again is refused, unless the request bypasses the check.
    fails(lambda: kms.create_key(Policy=locked), "MalformedPolicyDocumentException", message)
    key = kms.create_key(Policy=managed)["KeyMetadata"]["KeyId"]
    fails(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=locked), "MalformedPolicyDocumentException", message)
    assert json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == json.loads(managed)
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=locked, BypassPolicyLockoutSafetyCheck=True)
    # The key is now what the check warns of: usable, and no longer manageable by its account.
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["KeyId"].endswith(key)
    fails(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=managed), "AccessDeniedException")
    bypassed = kms.create_key(Policy=locked, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
    fails(lambda: kms.describe_key(KeyId=bypassed), "AccessDeniedException")
    # A syntax error is reported as before, ahead of the lockout check.
    other = kms.create_key(Policy=managed)["KeyMetadata"]["KeyId"]
    fails(lambda: kms.put_key_policy(KeyId=other, PolicyName="default", Policy="not json"), "MalformedPolicyDocumentException")


def test_describe_custom_key_stores_finds_none(coffer):
    kms = coffer.client("kms")
    listed = kms.describe_custom_key_stores()
    assert listed["CustomKeyStores"] == [] and listed["Truncated"] is False
    fails(lambda: kms.describe_custom_key_stores(CustomKeyStoreId="cks-1234567890abcdef0"), "CustomKeyStoreNotFoundException")
    fails(lambda: kms.describe_custom_key_stores(CustomKeyStoreName="hsm-store"), "CustomKeyStoreNotFoundException")
    # A named store does not exist for the other operations either, and an attested Recipient (even an
    # empty one) is refused, never ignored: ignoring it would hand out the plaintext.
    fails(lambda: kms.generate_random(NumberOfBytes=32, CustomKeyStoreId="cks-1234567890"), "CustomKeyStoreNotFoundException")
    fails(lambda: kms.create_key(CustomKeyStoreId="cks-1234567890"), "CustomKeyStoreNotFoundException")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    fails(lambda: kms.generate_random(NumberOfBytes=32, Recipient={}), "UnsupportedOperationException")
    fails(lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256", Recipient={}), "UnsupportedOperationException")


def test_key_agreement_keys_derive_the_peers_ecdh_secret(coffer):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    kms = coffer.client("kms")
    for spec, curve in [("ECC_NIST_P256", ec.SECP256R1()), ("ECC_NIST_P384", ec.SECP384R1()), ("ECC_NIST_P521", ec.SECP521R1())]:
        key = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
        assert key["KeyAgreementAlgorithms"] == ["ECDH"] and "SigningAlgorithms" not in key
        public = kms.get_public_key(KeyId=key["KeyId"])
        assert public["KeyUsage"] == "KEY_AGREEMENT" and public["KeyAgreementAlgorithms"] == ["ECDH"]
        peer = ec.generate_private_key(curve)
        peer_public = peer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        derived = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_public)
        assert derived["KeyId"] == key["Arn"] and derived["KeyAgreementAlgorithm"] == "ECDH" and derived["KeyOrigin"] == "AWS_KMS"
        assert derived["SharedSecret"] == peer.exchange(ec.ECDH(), load_der_public_key(public["PublicKey"]))
    # A peer key on another curve, a signing key, and a symmetric key are refused.
    other = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    p256 = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    fails(lambda: kms.derive_shared_secret(KeyId=p256, KeyAgreementAlgorithm="ECDH", PublicKey=other), "ValidationException")
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    fails(lambda: kms.derive_shared_secret(KeyId=signing, KeyAgreementAlgorithm="ECDH", PublicKey=other), "InvalidKeyUsageException",
          "key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.")
    fails(lambda: kms.sign(KeyId=p256, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException")
    fails(lambda: kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT"), "ValidationException")
    same_curve = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    fails(lambda: kms.derive_shared_secret(KeyId=p256, KeyAgreementAlgorithm="ECDH", PublicKey=same_curve, DryRun=True), "DryRunOperationException")


def test_key_last_usage_comes_from_the_trail(coffer):
    """GetKeyLastUsage: the newest successful cryptographic call on the key, with its trail event and request
    ids; failures and management calls do not count; an unused key answers an empty KeyLastUsage."""
    kms = coffer.client("kms")
    key = kms.create_key()["KeyMetadata"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    unused = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert unused["KeyId"] == key["KeyId"] and unused["KeyLastUsage"] == {}
    assert unused["KeyCreationDate"] == key["CreationDate"] and unused["TrackingStartDate"] == key["CreationDate"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.encrypt(KeyId=other, Plaintext=b"y")
    decrypted = kms.decrypt(CiphertextBlob=blob)
    kms.describe_key(KeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])
    fails(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"wrong": "context"}), "InvalidCiphertextException")
    usage = kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
    assert usage["Operation"] == "Decrypt" and usage["KmsRequestId"] == decrypted["ResponseMetadata"]["RequestId"]
    events = coffer.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": usage["CloudTrailEventId"]}])["Events"]
    assert [e["EventName"] for e in events] == ["Decrypt"]
    assert kms.get_key_last_usage(KeyId=other)["KeyLastUsage"]["Operation"] == "Encrypt"
    # ReEncrypt counts for both keys: its record names the source and the destination.
    kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other)
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "ReEncrypt"
    assert kms.get_key_last_usage(KeyId=other)["KeyLastUsage"]["Operation"] == "ReEncrypt"
    fails(lambda: kms.get_key_last_usage(KeyId="alias/aws/secretsmanager"), "NotFoundException")
    fails(lambda: kms.get_key_last_usage(KeyId="00000000-0000-0000-0000-000000000000"), "NotFoundException")


# Floci's KMS tests, checked against AWS, give the sizes: SubjectPublicKeyInfo 88 bytes (secp256k1),
# 44 (Ed25519), 1334/1974/2614 (ML-DSA-44/65/87); signatures 64 (Ed25519), 2420/3309/4627 (ML-DSA).
@pytest.mark.parametrize("spec,algorithm,public_size,signature_size", [
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", 88, None), ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", 44, 64),
    ("ML_DSA_44", "ML_DSA_SHAKE_256", 1334, 2420), ("ML_DSA_65", "ML_DSA_SHAKE_256", 1974, 3309),
    ("ML_DSA_87", "ML_DSA_SHAKE_256", 2614, 4627)])
def test_signatures_of_the_newer_key_specs_verify_outside_coffer(coffer, spec, algorithm, public_size, signature_size):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    kms = coffer.client("kms")
    meta = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    expected = {"ECC_SECG_P256K1": ["ECDSA_SHA_256"], "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512", "ED25519_PH_SHA_512"]}
    assert meta["SigningAlgorithms"] == expected.get(spec, ["ML_DSA_SHAKE_256"])
    public = kms.get_public_key(KeyId=meta["KeyId"])
    assert len(public["PublicKey"]) == public_size and public["SigningAlgorithms"] == meta["SigningAlgorithms"]
    key = serialization.load_der_public_key(public["PublicKey"])
    message = b"signed by coffer"
    signature = kms.sign(KeyId=meta["KeyId"], Message=message, SigningAlgorithm=algorithm)["Signature"]
    if signature_size:
        assert len(signature) == signature_size
    if spec == "ECC_SECG_P256K1":
        assert key.curve.name == "secp256k1"
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        digest = hashes.Hash(hashes.SHA256())
        digest.update(message)
        over_digest = kms.sign(KeyId=meta["KeyId"], Message=digest.finalize(), MessageType="DIGEST", SigningAlgorithm=algorithm)["Signature"]
        key.verify(over_digest, message, ec.ECDSA(hashes.SHA256()))
    else:
        key.verify(signature, message)
    if spec.startswith("ML_DSA"):
        # FIPS 204's external mu: SHAKE256(SHAKE256(pk, 64) || 0 || 0 || M, 64), an empty context.
        import hashlib
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        mu = hashlib.shake_256(hashlib.shake_256(raw).digest(64) + b"\x00\x00" + message).digest(64)
        key.verify(kms.sign(KeyId=meta["KeyId"], Message=mu, MessageType="EXTERNAL_MU", SigningAlgorithm=algorithm)["Signature"], message)
        assert fails(lambda: kms.sign(KeyId=meta["KeyId"], Message=b"x" * 32, MessageType="DIGEST", SigningAlgorithm=algorithm),
                     "ValidationException") == f"Message type DIGEST is incompatible with key spec {spec}."
    # The key's public half, not its private one, is what leaves: a round trip through Verify.
    assert kms.verify(KeyId=meta["KeyId"], Message=message, Signature=signature, SigningAlgorithm=algorithm)["SignatureValid"]


def test_key_spec_and_message_type_answers_as_aws_gives_them(coffer):
    # Floci's KMS tests, checked against AWS.
    kms = coffer.client("kms")
    loose = coffer.client("kms", config=Config(parameter_validation=False))
    for spec, usage in [("SYMMETRIC_DEFAULT", "SIGN_VERIFY"), ("RSA_2048", "KEY_AGREEMENT"), ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
                        ("ECC_NIST_EDWARDS25519", "KEY_AGREEMENT"), ("ECC_SECG_P256K1", "KEY_AGREEMENT")]:
        assert fails(lambda: kms.create_key(KeySpec=spec, KeyUsage=usage), "ValidationException") == \
            f"KeyUsage {usage} is not compatible with KeySpec {spec}."
    assert fails(lambda: kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY"), "UnsupportedOperationException") == \
        "KeySpec SM2 is not supported in this Region"
    ed = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    for algorithm, message_type, code, message in [
            ("ED25519_SHA_512", "DIGEST", "ValidationException", "Message type DIGEST is incompatible with algorithm ED25519_SHA_512."),
            ("ED25519_PH_SHA_512", "RAW", "ValidationException", "Message type RAW is incompatible with algorithm ED25519_PH_SHA_512."),
            ("ECDSA_SHA_512", "RAW", "InvalidKeyUsageException", "Algorithm ECDSA_SHA_512 is incompatible with key spec ECC_NIST_EDWARDS25519.")]:
        assert fails(lambda: kms.sign(KeyId=ed, Message=b"message", MessageType=message_type, SigningAlgorithm=algorithm), code) == message
    for call in (kms.sign, lambda **kw: kms.verify(Signature=b"s" * 64, **kw)):
        assert fails(lambda: call(KeyId=ed, Message=b"not a sha-512 digest", MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512"),
                     "ValidationException") == "Digest is invalid length for algorithm ED25519_PH_SHA_512."
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    # SYMMETRIC_DEFAULT is outside the model's enum, yet AWS answers it as an algorithm the key spec lacks.
    assert fails(lambda: loose.sign(KeyId=rsa, Message=b"m", SigningAlgorithm="SYMMETRIC_DEFAULT"), "InvalidKeyUsageException") == \
        "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."
    assert fails(lambda: loose.sign(KeyId=rsa, Message=b"m", SigningAlgorithm="FOO"), "ValidationException") == \
        "1 validation error detected: Value 'FOO' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: " \
        "[RSASSA_PSS_SHA_256, RSASSA_PSS_SHA_384, RSASSA_PSS_SHA_512, RSASSA_PKCS1_V1_5_SHA_256, RSASSA_PKCS1_V1_5_SHA_384, " \
        "RSASSA_PKCS1_V1_5_SHA_512, ECDSA_SHA_256, ECDSA_SHA_384, ECDSA_SHA_512, ED25519_SHA_512, ED25519_PH_SHA_512, SM2DSA, ML_DSA_SHAKE_256]"
    assert fails(lambda: loose.verify(KeyId=rsa, Message=b"m", Signature=b"", SigningAlgorithm="RSASSA_PSS_SHA_256"), "ValidationException") == \
        "1 validation error detected: Value at 'signature' failed to satisfy constraint: Member must have length greater than or equal to 1"
    assert fails(lambda: loose.encrypt(KeyId=rsa), "ValidationException") == \
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must not be null"
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    for spec in ("ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"):
        from cryptography.hazmat.primitives import serialization
        pair = kms.generate_data_key_pair(KeyId=symmetric, KeyPairSpec=spec)
        private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
        assert private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]


def test_data_key_and_key_id_answers_as_aws_gives_them(coffer):
    # Floci's KMS tests, checked against AWS.
    kms = coffer.client("kms")
    loose = coffer.client("kms", config=Config(parameter_validation=False))
    specs = "[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, ECC_NIST_EDWARDS25519, " \
            "SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87]"
    zero = "00000000-0000-0000-0000-000000000000"
    assert fails(lambda: loose.generate_data_key(KeyId=zero, KeySpec="RSA_2048"), "ValidationException") == \
        f"1 validation error detected: Value 'RSA_2048' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: {specs}"
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    assert fails(lambda: kms.generate_data_key(KeyId=rsa, KeySpec="AES_256"), "InvalidKeyUsageException") == \
        "You cannot generate a data key with an asymmetric CMK"
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    assert fails(lambda: kms.generate_data_key_without_plaintext(KeyId=signing, KeySpec="AES_256"), "InvalidKeyUsageException") == \
        f"{signing} key usage is SIGN_VERIFY which is not valid for GenerateDataKeyWithoutPlaintext."
    prefix = rsa[:rsa.rindex("/") + 1]
    assert fails(lambda: kms.describe_key(KeyId=prefix + "foo"), "NotFoundException") == "Invalid keyId foo"
    assert fails(lambda: kms.describe_key(KeyId="foo"), "NotFoundException") == "Invalid keyId 'foo'"
    assert fails(lambda: loose.describe_key(KeyId="\u30ad\u30fc"), "ValidationException") == \
        "1 validation error detected: Value '\u30ad\u30fc' at 'keyId' failed to satisfy constraint: " \
        "Member must satisfy regular expression pattern: ^\\p{ASCII}+$"
    assert fails(lambda: loose.get_public_key(KeyId=""), "ValidationException").startswith(
        "2 validation errors detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1; ")


def test_state_usage_and_rotation_answers_as_aws_gives_them(coffer):
    # Floci's KMS tests, checked against AWS: usage before state, GetPublicKey's states, rotation's
    # answers without a message, errors AWS sends with no message member at all.
    kms = coffer.client("kms")
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=hmac)
    assert fails(lambda: kms.sign(KeyId=hmac, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"), "InvalidKeyUsageException") == \
        f"{hmac} key usage is GENERATE_VERIFY_MAC which is not valid for Sign."
    assert fails(lambda: kms.enable_key_rotation(KeyId=hmac), "DisabledException") == f"{hmac} is disabled."
    kms.enable_key(KeyId=hmac)
    assert fails(lambda: kms.enable_key_rotation(KeyId=hmac), "UnsupportedOperationException") == ""
    kms.disable_key_rotation(KeyId=hmac)
    symmetric = kms.create_key()["KeyMetadata"]["Arn"]
    assert fails(lambda: kms.verify_mac(KeyId=symmetric, Message=b"m", Mac=b"x" * 32, MacAlgorithm="HMAC_SHA_256"), "InvalidKeyUsageException") == \
        f"{symmetric} key usage is ENCRYPT_DECRYPT which is not valid for VerifyMac."
    assert fails(lambda: kms.get_public_key(KeyId=symmetric), "UnsupportedOperationException") == ""
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=signing)
    assert kms.get_public_key(KeyId=signing)["KeyId"] == signing
    kms.schedule_key_deletion(KeyId=signing, PendingWindowInDays=7)
    assert fails(lambda: kms.get_public_key(KeyId=signing), "KMSInvalidStateException") == f"{signing} is pending deletion."
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    assert fails(lambda: kms.disable_key_rotation(KeyId=external), "UnsupportedOperationException") == \
        f"{external} origin is EXTERNAL which is not valid for this operation."
    key, secret = coffer.root_credentials()
    raw = sigv4.signed_request(coffer.endpoint, "TrentService.Verify", {
        "KeyId": kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"],
        "Message": "bWVzc2FnZQ==", "Signature": "AAAAAAAAAAAAAA==", "SigningAlgorithm": "ECDSA_SHA_256"}, key, secret, service="kms")
    assert raw == (400, {"__type": "KMSInvalidSignatureException"})
