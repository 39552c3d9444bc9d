"""IAM server certificates (the private key sealed, never answered) and signing certificates, with
IAM's checks: MalformedCertificate, KeyPairMismatch, EntityAlreadyExists, DuplicateCertificate, limits."""
import subprocess

import pytest

from conftest import fails


def make(tmp_path, name, key_type="rsa:2048"):
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}-key.pem"
    args = ["openssl", "req", "-x509", "-nodes", "-days", "30", "-subj", f"/CN={name}.example.com", "-keyout", str(key), "-out", str(cert)]
    args[2:2] = ["-newkey", key_type] if key_type.startswith("rsa") else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    subprocess.run(args, check=True, capture_output=True)
    return cert.read_text(), key.read_text()


def test_server_certificates(coffer, tmp_path):
    iam = coffer.client("iam")
    body, key = make(tmp_path, "web")
    ec_body, ec_key = make(tmp_path, "api", key_type="ec")
    meta = iam.upload_server_certificate(ServerCertificateName="web", CertificateBody=body, PrivateKey=key, Path="/cloudfront/",
                                         CertificateChain=ec_body)["ServerCertificateMetadata"]
    assert meta["Arn"].endswith(":server-certificate/cloudfront/web") and meta["ServerCertificateId"].startswith("ASCA")
    assert 29 <= (meta["Expiration"] - meta["UploadDate"]).days <= 30
    iam.upload_server_certificate(ServerCertificateName="api", CertificateBody=ec_body, PrivateKey=ec_key)
    got = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"] == body and got["CertificateChain"] == ec_body and "PrivateKey" not in got
    assert [m["ServerCertificateName"] for m in iam.list_server_certificates()["ServerCertificateMetadataList"]] == ["api", "web"]
    assert [m["ServerCertificateName"] for m in iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]] == ["web"]
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 2

    fails(lambda: iam.upload_server_certificate(ServerCertificateName="web", CertificateBody=body, PrivateKey=key), "EntityAlreadyExists",
          "The Server Certificate with name web already exists.")
    fails(lambda: iam.upload_server_certificate(ServerCertificateName="x", CertificateBody=body, PrivateKey=ec_key), "KeyPairMismatch")
    fails(lambda: iam.upload_server_certificate(ServerCertificateName="x", CertificateBody="not a certificate", PrivateKey=key),
          "MalformedCertificate")
    broken = body.replace(body.splitlines()[3], "A" * len(body.splitlines()[3]))
    fails(lambda: iam.upload_server_certificate(ServerCertificateName="x", CertificateBody=broken, PrivateKey=key), "MalformedCertificate")
    fails(lambda: iam.get_server_certificate(ServerCertificateName="nope"), "NoSuchEntity",
          "The Server Certificate with name nope cannot be found.")

    iam.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="www", NewPath="/")
    moved = iam.get_server_certificate(ServerCertificateName="www")["ServerCertificate"]["ServerCertificateMetadata"]
    assert moved["ServerCertificateId"] == meta["ServerCertificateId"] and moved["Arn"].endswith(":server-certificate/www")
    fails(lambda: iam.update_server_certificate(ServerCertificateName="www", NewServerCertificateName="api"), "EntityAlreadyExists")
    iam.delete_server_certificate(ServerCertificateName="www")
    fails(lambda: iam.get_server_certificate(ServerCertificateName="www"), "NoSuchEntity")
    # The private key is sealed at rest: its PEM is nowhere in the database file.
    database = (coffer.data_dir / "coffer.db").read_bytes() + (coffer.data_dir / "coffer.db-wal").read_bytes()
    assert ec_key.splitlines()[1].encode() not in database


def test_signing_certificates(coffer, tmp_path):
    iam = coffer.client("iam")
    iam.create_user(UserName="legacy")
    iam.create_user(UserName="other")
    first, _ = make(tmp_path, "one")
    second, _ = make(tmp_path, "two")
    third, _ = make(tmp_path, "three")
    created = iam.upload_signing_certificate(UserName="legacy", CertificateBody=first)["Certificate"]
    assert created["Status"] == "Active" and len(created["CertificateId"]) >= 24 and created["UserName"] == "legacy"
    fails(lambda: iam.upload_signing_certificate(UserName="other", CertificateBody=first), "DuplicateCertificate")
    iam.upload_signing_certificate(UserName="legacy", CertificateBody=second)
    fails(lambda: iam.upload_signing_certificate(UserName="legacy", CertificateBody=third), "LimitExceeded")
    fails(lambda: iam.upload_signing_certificate(UserName="legacy", CertificateBody="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
          "MalformedCertificate")
    listed = iam.list_signing_certificates(UserName="legacy")["Certificates"]
    assert [c["CertificateId"] for c in listed][0] == created["CertificateId"] and len(listed) == 2
    iam.update_signing_certificate(UserName="legacy", CertificateId=created["CertificateId"], Status="Inactive")
    assert iam.list_signing_certificates(UserName="legacy")["Certificates"][0]["Status"] == "Inactive"
    iam.delete_signing_certificate(UserName="legacy", CertificateId=created["CertificateId"])
    fails(lambda: iam.delete_signing_certificate(UserName="legacy", CertificateId=created["CertificateId"]), "NoSuchEntity")
    iam.upload_signing_certificate(UserName="legacy", CertificateBody=third)
