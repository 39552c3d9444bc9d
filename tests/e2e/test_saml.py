"""SAML federation: IAM SAML providers from an IdP's metadata, and AssumeRoleWithSAML (unsigned, as on AWS) with
responses signed by signxml, an XML-DSig implementation independent of Coffer's, as an IdP signs them."""
import base64
import datetime
import hashlib
import json
import os
import subprocess
import uuid

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

from conftest import REGION, fails

ENTITY = "https://idp.example.com/saml"
AWS_SIGNIN = "https://signin.aws.amazon.com/saml"
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}


class IdP:
    """An identity provider's signing key and certificate, its metadata, and the responses it signs."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=365)).sign(self.key, hashes.SHA256()))
        self.key_pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def metadata(self, valid_until="2031-01-01T00:00:00Z"):
        der = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        formats = "".join(f"<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:{f}</md:NameIDFormat>"
                          for f in ["persistent", "transient", "emailAddress", "unspecified"])
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{ENTITY}" validUntil="{valid_until}">\n'
                f'  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
                f'    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate>'
                f'</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n    {formats}\n'
                f'    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>\n'
                f'  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n')

    def response(self, roles, session_name="alice@example.com", sign="assertion", audience=AWS_SIGNIN, minutes=5,
                 issuer=ENTITY, key=None, extra_attributes=(), tamper=None, session_hours=None, inclusive=False):
        """A base64 samlp:Response; `sign` is "assertion", "response" or None, `tamper` edits the XML after signing."""
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
        attributes = [("https://aws.amazon.com/SAML/Attributes/Role", roles)]
        if session_name is not None:
            attributes.append(("https://aws.amazon.com/SAML/Attributes/RoleSessionName", [session_name]))
        attributes += list(extra_attributes)
        attribute_xml = "".join(
            f'<saml:Attribute Name="{name}">' + "".join(f'<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                                                         f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{v}'
                                                         f'</saml:AttributeValue>' for v in values) + "</saml:Attribute>"
            for name, values in attributes)
        session = f' SessionNotOnOrAfter="{stamp(now + datetime.timedelta(hours=session_hours))}"' if session_hours else ""
        xml = (f'<samlp:Response xmlns:samlp="{NS["samlp"]}" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{stamp(now)}" '
               f'Destination="{AWS_SIGNIN}"><saml:Issuer xmlns:saml="{NS["saml"]}">{issuer}</saml:Issuer>'
               f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
               f'<saml:Assertion xmlns:saml="{NS["saml"]}" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{stamp(now)}">'
               f'<saml:Issuer>{issuer}</saml:Issuer>'
               f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice-id-42</saml:NameID>'
               f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
               f'<saml:SubjectConfirmationData NotOnOrAfter="{stamp(now + datetime.timedelta(minutes=minutes))}" Recipient="{AWS_SIGNIN}"/>'
               f'</saml:SubjectConfirmation></saml:Subject>'
               f'<saml:Conditions NotBefore="{stamp(now - datetime.timedelta(minutes=1))}" '
               f'NotOnOrAfter="{stamp(now + datetime.timedelta(minutes=minutes))}">'
               f'<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>'
               f'<saml:AuthnStatement AuthnInstant="{stamp(now)}"{session}><saml:AuthnContext><saml:AuthnContextClassRef>'
               f'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>'
               f'</saml:AuthnStatement><saml:AttributeStatement>{attribute_xml}</saml:AttributeStatement></saml:Assertion></samlp:Response>')
        if inclusive:
            # As Okta and Shibboleth send them: xs declared above the signed assertion, used only inside
            # attribute values, so the signature names it in an InclusiveNamespaces PrefixList.
            xml = xml.replace(' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"', "")
            xml = xml.replace(f'<samlp:Response xmlns:samlp="{NS["samlp"]}"', f'<samlp:Response xmlns:samlp="{NS["samlp"]}" '
                              'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
        root = etree.fromstring(xml.encode())
        if inclusive:
            assertion = root.find("saml:Assertion", NS)
            sign_with_prefix_list(assertion, key or self.key, ["xs"])
            return base64.b64encode(etree.tostring(root)).decode()
        signer = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                           c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        signing_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()) if key else self.key_pem
        if sign == "assertion":
            assertion = root.find("saml:Assertion", NS)
            signed = signer.sign(assertion, key=signing_key, cert=self.cert_pem)
            root.replace(assertion, signed)
        elif sign == "response":
            root = signer.sign(root, key=signing_key, cert=self.cert_pem)
        if tamper:
            tamper(root)
        return base64.b64encode(etree.tostring(root)).decode()


def sign_with_prefix_list(element, key, prefixes):
    """An enveloped signature whose exclusive canonicalizations carry an InclusiveNamespaces PrefixList, as Okta
    writes them (signxml puts the list on SignedInfo only): lxml (libxml2) canonicalizes, cryptography signs."""
    ds, ec = "http://www.w3.org/2000/09/xmldsig#", "http://www.w3.org/2001/10/xml-exc-c14n#"
    digest = base64.b64encode(hashlib.sha256(
        etree.tostring(element, method="c14n", exclusive=True, inclusive_ns_prefixes=prefixes)).digest()).decode()
    prefix_list = f'<ec:InclusiveNamespaces xmlns:ec="{ec}" PrefixList="{" ".join(prefixes)}"/>'
    signature = etree.fromstring(
        f'<ds:Signature xmlns:ds="{ds}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{ec}">{prefix_list}</ds:CanonicalizationMethod>'
        f'<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{element.get("ID")}">'
        f'<ds:Transforms><ds:Transform Algorithm="{ds}enveloped-signature"/><ds:Transform Algorithm="{ec}">{prefix_list}</ds:Transform>'
        f'</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>{digest}</ds:DigestValue>'
        f'</ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>')
    element.insert(1, signature)
    signed_info = signature.find(f"{{{ds}}}SignedInfo")
    value = key.sign(etree.tostring(signed_info, method="c14n", exclusive=True, inclusive_ns_prefixes=prefixes),
                     asym_padding.PKCS1v15(), hashes.SHA256())
    signature.find(f"{{{ds}}}SignatureValue").text = base64.b64encode(value).decode()


@pytest.fixture(scope="module")
def idp():
    return IdP()


def unsigned_sts(node):
    return boto3.client("sts", endpoint_url=node.endpoint, region_name=REGION, config=Config(signature_version=UNSIGNED))


def setup(coffer, idp, trust_condition=None):
    iam = coffer.client("iam")
    account = coffer.client("sts").get_caller_identity()["Account"]
    provider = iam.create_saml_provider(Name="ExampleIdP", SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    statement = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
                 "Condition": trust_condition or {"StringEquals": {"SAML:aud": AWS_SIGNIN}}}
    iam.create_role(RoleName="engineers", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    iam.put_role_policy(RoleName="engineers", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    return account, provider, f"arn:aws:iam::{account}:role/engineers"


def test_saml_provider_lifecycle(coffer, idp):
    iam = coffer.client("iam")
    account = coffer.client("sts").get_caller_identity()["Account"]
    arn = iam.create_saml_provider(Name="ExampleIdP", SAMLMetadataDocument=idp.metadata(), Tags=[{"Key": "team", "Value": "sec"}])[
        "SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{account}:saml-provider/ExampleIdP"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == idp.metadata()
    assert got["ValidUntil"] == datetime.datetime(2031, 1, 1, tzinfo=got["ValidUntil"].tzinfo)
    assert got["Tags"] == [{"Key": "team", "Value": "sec"}] and got["AssertionEncryptionMode"] == "Allowed"
    assert len(got["SAMLProviderUUID"]) >= 22 and got["SAMLProviderUUID"].isupper()
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn] and "CreateDate" in listed[0]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 1
    fails(lambda: iam.create_saml_provider(Name="ExampleIdP", SAMLMetadataDocument=idp.metadata()), "EntityAlreadyExists")
    # Metadata that is not an IdP's (moto's tests send "a" * 1024) is refused, and nothing is created.
    fails(lambda: iam.create_saml_provider(Name="Other", SAMLMetadataDocument="a" * 1024), "InvalidInput", "Could not parse metadata.")
    no_cert = idp.metadata().replace("<md:KeyDescriptor", "<md:Extensions").replace("</md:KeyDescriptor>", "</md:Extensions>")
    fails(lambda: iam.create_saml_provider(Name="Other", SAMLMetadataDocument=no_cert), "InvalidInput", "Could not parse metadata.")
    doctype = '<!DOCTYPE x [<!ENTITY e "boom">]>' + idp.metadata().split("\n", 1)[1]
    fails(lambda: iam.create_saml_provider(Name="Other", SAMLMetadataDocument=doctype), "InvalidInput", "Could not parse metadata.")
    assert len(iam.list_saml_providers()["SAMLProviderList"]) == 1
    # Update: new metadata, the encryption mode, not nothing; Required needs a private key Coffer does not keep.
    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=idp.metadata(valid_until="2032-06-01T00:00:00Z"))
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"].year == 2032
    fails(lambda: iam.update_saml_provider(SAMLProviderArn=arn), "InvalidInput", "No updates are defined")
    fails(lambda: iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Required"), "InvalidInput", "no private key")
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "prod"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["env"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "team", "Value": "platform"}]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    fails(lambda: iam.get_saml_provider(SAMLProviderArn=arn), "NoSuchEntity", f"Manifest not found for arn {arn}")
    fails(lambda: iam.delete_saml_provider(SAMLProviderArn=arn), "NoSuchEntity")
    assert iam.list_saml_providers()["SAMLProviderList"] == []


def test_signed_response_is_exchanged_for_a_session(coffer, idp):
    account, provider, role = setup(coffer, idp)
    coffer.client().create_secret(Name="team/db", SecretString="db-password")
    sts = unsigned_sts(coffer)
    for sign, inclusive in [("assertion", False), ("response", False), ("assertion", True)]:
        answer = sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, DurationSeconds=900,
                                           SAMLAssertion=idp.response([f"{role},{provider}"], sign=sign, inclusive=inclusive))
        assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/engineers/alice@example.com"
        assert answer["Subject"] == "alice-id-42" and answer["SubjectType"] == "persistent"
        assert answer["Issuer"] == ENTITY and answer["Audience"] == AWS_SIGNIN
        expected = base64.b64encode(hashlib.sha1(f"{ENTITY}{account}/ExampleIdP".encode()).digest()).decode()
        assert answer["NameQualifier"] == expected
        credentials = answer["Credentials"]
        remaining = credentials["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
        assert datetime.timedelta(minutes=13) < remaining <= datetime.timedelta(minutes=15, seconds=5)
        secrets = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                               aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
        assert secrets.get_secret_value(SecretId="team/db")["SecretString"] == "db-password"
        fails(lambda: secrets.delete_secret(SecretId="team/db"), "AccessDeniedException")
    # The role pair may come in either order; the IdP's SessionNotOnOrAfter shortens the session.
    answer = sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=idp.response([f"{provider},{role}"], session_hours=1),
                                       DurationSeconds=3600)
    remaining = answer["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert remaining <= datetime.timedelta(hours=1, seconds=5)
    # The trail has the exchange, never the assertion.
    events = coffer.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithSAML"}])["Events"]
    assert len(events) == 4
    for event in events:
        record = json.loads(event["CloudTrailEvent"])
        assert "HIDDEN_DUE_TO_SECURITY_REASONS" in record["requestParameters"].values()
        assert "SignatureValue" not in event["CloudTrailEvent"] and "PHNhbWxwOlJlc3BvbnNl" not in event["CloudTrailEvent"]


def test_responses_that_must_not_pass(coffer, idp):
    account, provider, role = setup(coffer, idp)
    sts = unsigned_sts(coffer)
    pair = [f"{role},{provider}"]

    def exchange(assertion, principal=provider, duration=None):
        extra = {"DurationSeconds": duration} if duration else {}
        return lambda: sts.assume_role_with_saml(RoleArn=role, PrincipalArn=principal, SAMLAssertion=assertion, **extra)

    def rename(root):
        value = root.find(".//saml:Attribute[@Name='https://aws.amazon.com/SAML/Attributes/RoleSessionName']/saml:AttributeValue", NS)
        value.text = "mallory"

    # Content changed after signing, for either signature; a key that is not the IdP's; no signature at all.
    fails(exchange(idp.response(pair, tamper=rename)), "InvalidIdentityToken", "Response signature invalid")
    fails(exchange(idp.response(pair, sign="response", tamper=rename)), "InvalidIdentityToken", "Response signature invalid")
    fails(exchange(idp.response(pair, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))), "InvalidIdentityToken",
          "Response signature invalid")
    fails(exchange(idp.response(pair, sign=None)), "InvalidIdentityToken", "Response signature invalid")

    # Signature wrapping: a second, unsigned assertion beside the signed one.
    def wrap(root):
        signed = root.find("saml:Assertion", NS)
        forged = etree.fromstring(etree.tostring(signed))
        forged.set("ID", "_forged")
        for signature in forged.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
            forged.remove(signature)
        root.insert(2, forged)
    fails(exchange(idp.response(pair, tamper=wrap)), "InvalidIdentityToken")

    fails(exchange(idp.response([f"arn:aws:iam::{account}:role/other,{provider}"])), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    fails(exchange(idp.response(pair, session_name=None)), "InvalidIdentityToken", "RoleSessionName is required in AuthnResponse")
    fails(exchange(idp.response(pair, session_name="alice smith")), "InvalidIdentityToken", "RoleSessionName in AuthnResponse must match")
    fails(exchange(idp.response(pair, audience="https://other.example.com/acs")), "InvalidIdentityToken", "required audience")
    fails(exchange(idp.response(pair, minutes=-10)), "ExpiredTokenException")
    fails(exchange(idp.response(pair, issuer="https://evil.example.com")), "InvalidIdentityToken", "Issuer not present in specified provider")
    fails(exchange(idp.response(pair), principal=f"arn:aws:iam::{account}:saml-provider/Nope"), "InvalidIdentityToken",
          "Specified provider doesn't exist.")
    fails(exchange(idp.response(pair), duration=43200), "ValidationError", "MaxSessionDuration")
    fails(exchange(base64.b64encode(b"<notxml").decode()), "InvalidIdentityToken")
    fails(exchange("!!!not-base64!!!"), "InvalidIdentityToken")


def test_trust_policy_reads_saml_keys(coffer, idp):
    account, provider, role = setup(coffer, idp, trust_condition={"StringEquals": {"SAML:sub": "someone-else"}})
    sts = unsigned_sts(coffer)
    fails(lambda: sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=idp.response([f"{role},{provider}"])),
          "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:sub": "alice-id-42", "SAML:sub_type": "persistent", "SAML:iss": ENTITY,
                                       "SAML:doc": f"{account}/ExampleIdP", "SAML:edupersonaffiliation": "staff"}}}]}
    coffer.client("iam").update_assume_role_policy(RoleName="engineers", PolicyDocument=json.dumps(trust))
    affiliation = [("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", ["staff"])]
    answer = sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider,
                                       SAMLAssertion=idp.response([f"{role},{provider}"], extra_attributes=affiliation))
    assert answer["AssumedRoleUser"]["Arn"].endswith("/engineers/alice@example.com")
    # PrincipalTag attributes become session tags, which the trust policy must allow with sts:TagSession.
    tagged = affiliation + [("https://aws.amazon.com/SAML/Attributes/PrincipalTag:team", ["platform"])]
    fails(lambda: sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider,
                                            SAMLAssertion=idp.response([f"{role},{provider}"], extra_attributes=tagged)), "AccessDenied")
    trust["Statement"][0]["Action"] = ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    iam = coffer.client("iam")
    iam.update_assume_role_policy(RoleName="engineers", PolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="engineers", PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "platform"}}}]}))
    coffer.client().create_secret(Name="platform/key", SecretString="k")
    for attributes, allowed in [(tagged, True), (affiliation, False)]:
        credentials = sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=idp.response(
            [f"{role},{provider}"], extra_attributes=attributes))["Credentials"]
        secrets = boto3.client("secretsmanager", endpoint_url=coffer.endpoint, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                               aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
        if allowed:
            assert secrets.get_secret_value(SecretId="platform/key")["SecretString"] == "k"
        else:
            fails(lambda: secrets.get_secret_value(SecretId="platform/key"), "AccessDeniedException")


def test_cli_saml_provider_and_assume_role_with_saml(coffer, idp, tmp_path):
    key, secret = coffer.root_credentials()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION=REGION, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    metadata = tmp_path / "metadata.xml"
    metadata.write_text(idp.metadata())

    def aws(*args):
        out = subprocess.run(["aws", "--endpoint-url", coffer.endpoint, *args], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    provider = aws("iam", "create-saml-provider", "--saml-metadata-document", f"file://{metadata}", "--name", "CliIdP")["SAMLProviderArn"]
    account = provider.split(":")[4]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"}]}
    role = aws("iam", "create-role", "--role-name", "cli-saml", "--assume-role-policy-document", json.dumps(trust))["Role"]["Arn"]
    assertion = tmp_path / "assertion.b64"
    assertion.write_text(idp.response([f"{role},{provider}"], session_name="cli-user"))
    answer = aws("sts", "assume-role-with-saml", "--role-arn", role, "--principal-arn", provider, "--saml-assertion", f"file://{assertion}",
                 "--no-sign-request")
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/cli-saml/cli-user"
