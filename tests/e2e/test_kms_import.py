"""Imported key material (Origin EXTERNAL) through boto3 and the aws CLI, wrapped as AWS's guide and
openssl-style clients wrap it: RSA-OAEP, and RSA-OAEP plus AES key wrap with padding."""
import base64
import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from cryptography.hazmat.primitives.serialization import load_der_public_key

from conftest import aws_env, fails


def oaep(algorithm):
    digest = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)


def wrap(params, material, algorithm):
    public_key = load_der_public_key(params["PublicKey"])
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        aes_key = os.urandom(32)
        return public_key.encrypt(aes_key, oaep(algorithm)) + aes_key_wrap_with_padding(aes_key, material)
    return public_key.encrypt(material, oaep(algorithm))


def import_material(kms, key_id, material, algorithm="RSAES_OAEP_SHA_256", spec="RSA_2048", **extra):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    extra.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=wrap(params, material, algorithm), **extra)


def test_symmetric_key_waits_for_its_material_then_encrypts_and_can_lose_it(coffer):
    kms = coffer.client("kms")
    key = kms.create_key(Origin="EXTERNAL", Description="imported")["KeyMetadata"]
    assert (key["Origin"], key["KeyState"], key["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    assert "ExpirationModel" not in key and "CurrentKeyMaterialId" not in key
    key_id = key["KeyId"]
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "KMSInvalidStateException", f"{key['Arn']} is pending import.")
    fails(lambda: kms.enable_key(KeyId=key_id), "KMSInvalidStateException", "is pending import")

    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    assert params["KeyId"] == key["Arn"]
    assert load_der_public_key(params["PublicKey"]).key_size == 2048
    valid_for = params["ParametersValidTo"] - datetime.now(timezone.utc)
    assert timedelta(hours=23, minutes=59) < valid_for <= timedelta(hours=24)

    material = os.urandom(32)
    encrypted = wrap(params, material, "RSAES_OAEP_SHA_256")
    # AWS's default expiration model needs a ValidTo.
    fails(lambda: kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=encrypted),
          "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    imported = kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=encrypted,
                                       ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert imported["KeyId"] == key["Arn"] and len(imported["KeyMaterialId"]) == 64
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"], described["ExpirationModel"]) == ("Enabled", True, "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert described["CurrentKeyMaterialId"] == imported["KeyMaterialId"] and "ValidTo" not in described

    blob = kms.encrypt(KeyId=key_id, Plaintext=b"under imported material")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"under imported material"
    # The material is the key: a secret sealed under it opens while the material is there.
    sm = coffer.client("secretsmanager")
    sm.create_secret(Name="byok/secret", SecretString="sealed-by-imported-key", KmsKeyId=key_id)

    deleted = kms.delete_imported_key_material(KeyId=key_id)
    assert deleted["KeyId"] == key["Arn"] and deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    after = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (after["KeyState"], after["Enabled"]) == ("PendingImport", False) and "ExpirationModel" not in after
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException", "is pending import")
    fails(lambda: sm.get_secret_value(SecretId="byok/secret"), "DecryptionFailure")

    # Only the same material may come back; with it, old ciphertexts and the secret open again.
    fails(lambda: import_material(kms, key_id, os.urandom(32)), "IncorrectKeyMaterialException")
    again = import_material(kms, key_id, material, algorithm="RSA_AES_KEY_WRAP_SHA_256", spec="RSA_4096")
    assert again["KeyMaterialId"] == imported["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"under imported material"
    assert sm.get_secret_value(SecretId="byok/secret")["SecretString"] == "sealed-by-imported-key"

    # Automatic rotation would need new material that Coffer cannot make for the owner.
    fails(lambda: kms.enable_key_rotation(KeyId=key_id), "UnsupportedOperationException", "origin is EXTERNAL")


def test_tokens_are_bound_to_their_key_algorithm_and_day(coffer):
    kms = coffer.client("kms")
    first = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    second = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(KeyId=first, WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="RSA_3072")
    material = os.urandom(32)
    sha1 = wrap(params, material, "RSAES_OAEP_SHA_1")
    fails(lambda: kms.import_key_material(KeyId=second, ImportToken=params["ImportToken"], EncryptedKeyMaterial=sha1,
                                          ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "InvalidImportTokenException")
    forged = bytearray(params["ImportToken"])
    forged[len(forged) // 2] ^= 1
    fails(lambda: kms.import_key_material(KeyId=first, ImportToken=bytes(forged), EncryptedKeyMaterial=sha1,
                                          ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "InvalidImportTokenException")
    # Wrapped with another algorithm than the token's: the material does not come out.
    sha256 = wrap(params, material, "RSAES_OAEP_SHA_256")
    fails(lambda: kms.import_key_material(KeyId=first, ImportToken=params["ImportToken"], EncryptedKeyMaterial=sha256,
                                          ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "InvalidCiphertextException")
    fails(lambda: kms.import_key_material(KeyId=first, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrap(params, os.urandom(16), "RSAES_OAEP_SHA_1"),
                                          ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"), "IncorrectKeyMaterialException")
    late = datetime.now(timezone.utc) + timedelta(days=400)
    fails(lambda: kms.import_key_material(KeyId=first, ImportToken=params["ImportToken"], EncryptedKeyMaterial=sha1, ValidTo=late),
          "ValidationException", "365 days")
    fails(lambda: kms.import_key_material(KeyId=first, ImportToken=params["ImportToken"], EncryptedKeyMaterial=sha1,
                                          ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", ValidTo=late), "ValidationException", "ValidTo")
    assert kms.describe_key(KeyId=first)["KeyMetadata"]["KeyState"] == "PendingImport"
    kms.import_key_material(KeyId=first, ImportToken=params["ImportToken"], EncryptedKeyMaterial=sha1,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.describe_key(KeyId=first)["KeyMetadata"]["KeyState"] == "Enabled"

    # Keys Coffer made itself take no import.
    own = kms.create_key()["KeyMetadata"]
    fails(lambda: kms.get_parameters_for_import(KeyId=own["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"),
          "UnsupportedOperationException", f"{own['Arn']} origin is AWS_KMS which is not valid for this operation.")
    fails(lambda: kms.delete_imported_key_material(KeyId=own["KeyId"]), "UnsupportedOperationException")
    fails(lambda: kms.get_parameters_for_import(KeyId=first, WrappingAlgorithm="RSA_OAEP", WrappingKeySpec="RSA_2048"), "ValidationException")


def test_material_that_expires_is_deleted_at_its_valid_to(coffer):
    kms = coffer.client("kms")
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    valid_to = datetime.now(timezone.utc) + timedelta(seconds=3)
    import_material(kms, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and abs(described["ValidTo"] - valid_to) < timedelta(seconds=1)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"short-lived")["CiphertextBlob"]
    time.sleep(4)
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException", "is pending import")
    after = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert after["KeyState"] == "PendingImport" and "ValidTo" not in after
    # The expiry is a service event in the trail, apart from the call that found it.
    trail = coffer.client("cloudtrail")
    events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DeleteExpiredKeyMaterial"}])["Events"]
    assert len(events) == 1, events
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventType"] == "AwsServiceEvent" and record["resources"][0]["ARN"].endswith(key_id), record


def test_asymmetric_and_hmac_keys_take_their_own_material(coffer):
    kms = coffer.client("kms")
    signing = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    imported = import_material(kms, signing, der)
    assert "KeyMaterialId" not in imported
    public = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert kms.get_public_key(KeyId=signing)["PublicKey"] == public
    signature = kms.sign(KeyId=signing, Message=b"signed", MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(signature, b"signed", ec.ECDSA(hashes.SHA256()))

    mac_key = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    secret = os.urandom(48)
    import_material(kms, mac_key, secret, algorithm="RSA_AES_KEY_WRAP_SHA_1")
    import hmac, hashlib
    mac = kms.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"m", hashlib.sha256).digest()


def test_the_cli_imports_as_aws_guide_shows_and_the_trail_keeps_no_material(coffer, tmp_path):
    env = aws_env(tmp_path, coffer)

    def aws(*args):
        out = subprocess.run(["aws", "--endpoint-url", coffer.endpoint, "--profile", "anomaly-detector-dev", "kms", *args], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    key_id = aws("create-key", "--origin", "EXTERNAL")["KeyMetadata"]["KeyId"]
    params = aws("get-parameters-for-import", "--key-id", key_id, "--wrapping-algorithm", "RSAES_OAEP_SHA_256",
                 "--wrapping-key-spec", "RSA_2048")
    (tmp_path / "token.bin").write_bytes(base64.b64decode(params["ImportToken"]))
    material = os.urandom(32)
    public_key = load_der_public_key(base64.b64decode(params["PublicKey"]))
    (tmp_path / "material.bin").write_bytes(public_key.encrypt(material, oaep("RSAES_OAEP_SHA_256")))
    aws("import-key-material", "--key-id", key_id, "--encrypted-key-material", f"fileb://{tmp_path / 'material.bin'}",
        "--import-token", f"fileb://{tmp_path / 'token.bin'}", "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert aws("describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    records = coffer.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ImportKeyMaterial"}])["Events"]
    assert len(records) == 1
    record = json.loads(records[0]["CloudTrailEvent"])
    parameters = record["requestParameters"]
    assert parameters["keyId"] == key_id and parameters["expirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert parameters["importToken"] == parameters["encryptedKeyMaterial"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    text = records[0]["CloudTrailEvent"]
    assert params["ImportToken"] not in text and base64.b64encode(material).decode() not in text


def test_new_imported_material_becomes_current_by_rotation_on_demand(coffer):
    kms = coffer.client("kms")
    key_id = kms.create_key(Origin="EXTERNAL", Description="rotating imports")["KeyMetadata"]["KeyId"]
    fails(lambda: kms.rotate_key_on_demand(KeyId=key_id), "KMSInvalidStateException", "is pending import")
    first = import_material(kms, key_id, os.urandom(32))["KeyMaterialId"]
    fails(lambda: kms.rotate_key_on_demand(KeyId=key_id), "KMSInvalidStateException", "pending rotation")
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"before rotation")["CiphertextBlob"]

    second_material = os.urandom(32)
    second = import_material(kms, key_id, second_material, ImportType="NEW_KEY_MATERIAL", KeyMaterialDescription="second")["KeyMaterialId"]
    assert second != first
    # Imported but not yet current: encryption still uses the first material.
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == first
    fails(lambda: import_material(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL"), "KMSInvalidStateException", "pending rotation")
    listed = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"]) for r in listed] == [
        (first, "CURRENT", "IMPORTED"), (second, "PENDING_ROTATION", "IMPORTED")]
    assert listed[1]["KeyMaterialDescription"] == "second" and kms.list_key_rotations(KeyId=key_id)["Rotations"] == []

    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"].endswith(key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == second
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before rotation"
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"after rotation"
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"], r["KeyMaterialState"]) for r in rotations] == [(second, "ON_DEMAND", "CURRENT")]

    # Deleting an older material makes the key wait for it; only that material brings it back.
    kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=first)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    fails(lambda: kms.decrypt(CiphertextBlob=new_blob), "KMSInvalidStateException")
    import_material(kms, key_id, second_material)  # already in place: only its expiration is set again
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    fails(lambda: kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId="0" * 64), "NotFoundException")

    # Material pending rotation can be dropped and replaced before it is rotated in.
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, other, os.urandom(32))
    dropped = import_material(kms, other, os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms.delete_imported_key_material(KeyId=other, KeyMaterialId=dropped)
    assert kms.describe_key(KeyId=other)["KeyMetadata"]["KeyState"] == "Enabled"
    import_material(kms, other, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    fails(lambda: import_material(kms, other, os.urandom(32), ImportType="NEW_KEY_MATERIAL", KeyMaterialId="a" * 64), "ValidationException")
