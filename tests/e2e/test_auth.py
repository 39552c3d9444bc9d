"""SigV4 on the wire: every failure answers with AWS's error, and nothing changes."""
import datetime
import json

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

import sigv4


def error_code(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_wrong_secret_and_unknown_key_are_rejected_and_change_nothing(coffer):
    key, _ = coffer.root_credentials()
    bad = coffer.client(access_key=key, secret_key="wrong-secret-key-0000000000000000000000")
    assert error_code(lambda: bad.create_secret(Name="x", SecretString="v")) == ("InvalidSignatureException", 400)
    unknown = coffer.client(access_key="AKIAUNKNOWNKEY000000", secret_key="whatever")
    assert error_code(lambda: unknown.list_secrets()) == ("UnrecognizedClientException", 400)
    assert coffer.client().list_secrets()["SecretList"] == []


def test_missing_and_malformed_authorization(coffer):
    status, body = sigv4.send(coffer.endpoint, {"x-amz-target": "secretsmanager.ListSecrets",
                                                "content-type": "application/x-amz-json-1.1"}, b"{}")
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")

    key, secret = coffer.root_credentials()

    def drop_signature(headers):
        headers["authorization"] = headers["authorization"].split(", Signature=")[0]

    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.ListSecrets", {}, key, secret, tamper=drop_signature)
    assert (status, body["__type"]) == (400, "IncompleteSignatureException")
    assert "Signature" in body["Message"]


def test_clock_skew_of_more_than_fifteen_minutes(coffer):
    key, secret = coffer.root_credentials()
    now = datetime.datetime.now(datetime.timezone.utc)
    ok, _ = sigv4.signed_request(coffer.endpoint, "secretsmanager.ListSecrets", {}, key, secret, when=now - datetime.timedelta(minutes=10))
    assert ok == 200
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.ListSecrets", {}, key, secret,
                                        when=now - datetime.timedelta(minutes=20))
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert body["Message"].startswith("Signature expired:")
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.ListSecrets", {}, key, secret,
                                        when=now + datetime.timedelta(minutes=20))
    assert body["Message"].startswith("Signature not yet current:")


def test_scope_must_name_the_service(coffer):
    key, secret = coffer.root_credentials()
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.ListSecrets", {}, key, secret, service="kms")
    assert (status, body["__type"]) == (400, "InvalidSignatureException")


def test_presigned_query_form(coffer):
    """botocore's presigner puts everything in the query string; an empty JSON body is an empty request."""
    key, secret = coffer.root_credentials()
    coffer.client().create_secret(Name="presigned", SecretString="hello")
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=coffer.endpoint + "/", data=b"",
        headers={"X-Amz-Target": "secretsmanager.ListSecrets", "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials(key, secret), "secretsmanager", "us-east-1", expires=60).add_auth(request)
    prepared = request.prepare()
    suffix = prepared.url[len(coffer.endpoint):]
    assert "X-Amz-Signature=" in suffix
    status, answer = sigv4.send(coffer.endpoint, dict(prepared.headers), b"", url_suffix=suffix)
    assert status == 200, answer
    assert [s["Name"] for s in answer["SecretList"]] == ["presigned"]
    signature = suffix.split("X-Amz-Signature=")[1]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    status, answer = sigv4.send(coffer.endpoint, dict(prepared.headers), b"", url_suffix=suffix.replace(signature, flipped))
    assert (status, answer["__type"]) == (400, "InvalidSignatureException")


def test_region_comes_from_the_credential_scope(coffer):
    coffer.client(region="us-east-1").create_secret(Name="regional", SecretString="east")
    west = coffer.client(region="eu-west-1")
    assert error_code(lambda: west.get_secret_value(SecretId="regional")) == ("ResourceNotFoundException", 400)
    west.create_secret(Name="regional", SecretString="west")
    assert coffer.client(region="us-east-1").get_secret_value(SecretId="regional")["SecretString"] == "east"
    assert ":eu-west-1:" in west.describe_secret(SecretId="regional")["ARN"]


def test_dev_mode_accepts_any_key_but_still_checks_sigv4(dev_coffer):
    sm = dev_coffer.client(access_key="AKIAANYTHING", secret_key="anything")
    arn = sm.create_secret(Name="dev/s", SecretString="v")["ARN"]
    assert ":000000000000:" in arn
    assert dev_coffer.client(access_key="OTHER", secret_key="other").get_secret_value(SecretId="dev/s")["SecretString"] == "v"
    now = datetime.datetime.now(datetime.timezone.utc)
    status, body = sigv4.signed_request(dev_coffer.endpoint, "secretsmanager.ListSecrets", {}, "AKIAANY", "x",
                                        when=now - datetime.timedelta(hours=1))
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    status, body = sigv4.send(dev_coffer.endpoint, {"x-amz-target": "secretsmanager.ListSecrets"}, b"{}")
    assert status == 403


def test_routing_errors(coffer):
    key, secret = coffer.root_credentials()
    status, body = sigv4.signed_request(coffer.endpoint, "secretsmanager.NoSuchThing", {}, key, secret)
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = sigv4.signed_request(coffer.endpoint, "Bogus_20200101.Thing", {}, key, secret)
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    # An operation the service's model has but Coffer does not serve says so, where a made-up one is unknown.
    for target, service in [("TrentService.FooBar", "kms"), ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.FooBar", "cloudtrail"),
                            ("AmazonSSM.FooBar", "ssm")]:
        status, body = sigv4.signed_request(coffer.endpoint, target, {}, key, secret, service=service)
        assert (status, body["__type"]) == (400, "UnknownOperationException"), target
    kms = coffer.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as info:
        kms.delete_custom_key_store(CustomKeyStoreId="cks-1234567890abcdef0")
    assert info.value.response["Error"]["Code"] == "NotImplementedException" and info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    with pytest.raises(ClientError) as info:
        coffer.client("iam").list_service_specific_credentials()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501, info.value.response

    status, body = sigv4.send(coffer.endpoint, {"x-amz-target": "secretsmanager.ListSecrets"}, b"not json")
    assert status == 403  # unsigned: authentication comes before decoding


def test_health_needs_no_authentication(coffer):
    import urllib.request
    with urllib.request.urlopen(coffer.endpoint + "/health") as response:
        assert json.loads(response.read()) == {"status": "ok", "version": "0.1.0"}
