"""`coffer policy lint` and Access Analyzer's ValidatePolicy served by `coffer serve`, through the real CLI and boto3."""
import json
import subprocess
from pathlib import Path

import pytest
from conftest import REGION, aws_env, fails

HERE = Path(__file__).parent
SEED = HERE / "seed_000_policy.json"


def lint(binary, *args, stdin=None, env=None):
    return subprocess.run([binary, "policy", "lint", *args], capture_output=True, text=True, timeout=120, input=stdin, env=env)


def codes(findings):
    return sorted({f["issueCode"] for f in findings})


def test_validate_policy_through_the_aws_cli(coffer, tmp_path):
    env = aws_env(tmp_path, coffer)
    out = subprocess.run(["aws", "--profile", "anomaly-detector-dev", "--endpoint-url", coffer.endpoint, "accessanalyzer", "validate-policy",
                          "--policy-document", f"file://{SEED}", "--policy-type", "IDENTITY_POLICY"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert {"WILDCARD_WITHOUT_LIKE_OPERATOR", "UNSUPPORTED_ACTION_FOR_CONDITION_KEY"} <= set(codes(findings))
    # Only Access Analyzer's codes on the wire; Coffer's own verdicts (RESOURCE_MISMATCH for ListSecrets) are the CLI's.
    assert "RESOURCE_MISMATCH" not in codes(findings)
    unsupported = next(f for f in findings if f["issueCode"] == "UNSUPPORTED_ACTION_FOR_CONDITION_KEY")
    assert unsupported["findingType"] == "ERROR"
    assert "iam:GetRole" in unsupported["findingDetails"]
    assert unsupported["learnMoreLink"].startswith("https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#")
    location = unsupported["locations"][0]
    assert location["path"] == [{"value": "Statement"}, {"index": 4}, {"value": "Condition"}, {"value": "StringEquals"}, {"key": "iam:PassedToService"}]
    assert location["span"]["start"]["line"] == 86
    text = SEED.read_text()
    start, end = location["span"]["start"]["offset"], location["span"]["end"]["offset"]
    assert text[start:end] == '"iam:PassedToService"'


def test_validate_policy_with_boto3_pages_and_refuses_bad_input(coffer):
    aa = coffer.client("accessanalyzer")
    everything = aa.validate_policy(policyDocument=SEED.read_text(), policyType="IDENTITY_POLICY")["findings"]
    paged, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = aa.validate_policy(policyDocument=SEED.read_text(), policyType="IDENTITY_POLICY", maxResults=2, **kwargs)
        assert len(page["findings"]) <= 2
        paged += page["findings"]
        token = page.get("nextToken")
        if not token:
            break
    assert paged == everything and len(everything) > 2
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]})
    found = aa.validate_policy(policyDocument=trust, policyType="RESOURCE_POLICY",
                               validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument")["findings"]
    assert "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL" in codes(found)
    message = fails(lambda: aa.validate_policy(policyDocument="{}", policyType="USER_POLICY"), "ValidationException")
    assert "Member must satisfy enum value set" in message
    syntax = aa.validate_policy(policyDocument='{"Version": "2012-10-17", "Statement": [', policyType="IDENTITY_POLICY")["findings"]
    assert codes(syntax) == ["JSON_SYNTAX_ERROR"]


def test_validate_policy_is_authorized_and_audited(coffer):
    iam = coffer.client("iam")
    iam.create_user(UserName="reviewer")
    key = iam.create_access_key(UserName="reviewer")["AccessKey"]
    aa = coffer.client("accessanalyzer", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    fails(lambda: aa.validate_policy(policyDocument=SEED.read_text(), policyType="IDENTITY_POLICY"), "AccessDeniedException",
          "access-analyzer:ValidatePolicy")
    iam.put_user_policy(UserName="reviewer", PolicyName="lint", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "access-analyzer:ValidatePolicy", "Resource": "*"}]}))
    assert aa.validate_policy(policyDocument=SEED.read_text(), policyType="IDENTITY_POLICY")["findings"]
    events = coffer.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ValidatePolicy"}])["Events"]
    assert len(events) == 2 and {e["EventSource"] for e in events} == {"access-analyzer.amazonaws.com"}


def test_cli_formats_exit_codes_and_suggestion(binary, tmp_path):
    text = lint(binary, str(SEED))
    assert text.returncode == 1
    assert "seed_000_policy.json:86:21: ERROR UNSUPPORTED_ACTION_FOR_CONDITION_KEY" in text.stdout
    assert "suggested policy" in text.stdout
    report = json.loads(lint(binary, str(SEED), "--format", "json").stdout)
    result = report["results"][0]
    assert report["summary"]["ERROR"] >= 2
    suggested = tmp_path / "suggested.json"
    suggested.write_text(result["suggestedPolicy"])
    again = json.loads(lint(binary, str(suggested), "--format", "json").stdout)["results"][0]["findings"]
    assert not {"WILDCARD_WITHOUT_LIKE_OPERATOR", "UNSUPPORTED_ACTION_FOR_CONDITION_KEY"} & set(codes(again))
    # --fail-on and --ignore-finding decide the exit status.
    assert lint(binary, str(SEED), "--fail-on", "none").returncode == 0
    ignored = lint(binary, str(SEED), "--ignore-finding", "UNSUPPORTED_ACTION_FOR_CONDITION_KEY", "--ignore-finding", "RESOURCE_MISMATCH",
                   "--ignore-finding", "MISSING_REQUIRED_RESOURCE", "--fail-on", "error")
    assert ignored.returncode == 0, ignored.stdout
    # Standard input, malformed JSON, an unreadable file.
    broken = lint(binary, "-", stdin='{"Version": "2012-10-17",\n  "Statement": [}')
    assert broken.returncode == 1 and "stdin:2:" in broken.stdout and "JSON_SYNTAX_ERROR" in broken.stdout
    missing = lint(binary, str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr and not missing.stdout


def test_sarif_validates_against_the_schema(binary, tmp_path):
    out = lint(binary, str(SEED), "--format", "sarif", "--output", str(tmp_path / "lint.sarif"))
    assert out.returncode == 1 and out.stdout == ""
    sarif = json.loads((tmp_path / "lint.sarif").read_text())
    import sarif_pydantic
    sarif_pydantic.Sarif.model_validate(sarif)
    run = sarif["runs"][0]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run["results"]} <= rules
    for result in run["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("/Statement/")
        assert result["partialFingerprints"]["cofferPolicy/v1"]


def test_lint_every_policy_stored_in_a_running_coffer(binary, coffer, tmp_path):
    iam = coffer.client("iam")
    iam.create_user(UserName="ops")
    iam.put_user_policy(UserName="ops", PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.create_policy(PolicyName="anomaly-detector", PolicyDocument=SEED.read_text())
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    env = aws_env(tmp_path, coffer)
    out = lint(binary, "--from-endpoint", "--endpoint-url", coffer.endpoint, "--profile", "anomaly-detector-dev", "--format", "json", env=env)
    assert out.returncode == 1, out.stderr
    results = {r["source"]: codes(r["findings"]) for r in json.loads(out.stdout)["results"]}
    assert "FULL_ADMINISTRATOR_ACCESS" in results["user/ops#everything"]
    assert "UNSUPPORTED_ACTION_FOR_CONDITION_KEY" in results["policy/anomaly-detector"]
    assert results["role/app#trust"] == []
    unreachable = lint(binary, "--endpoint", "http://127.0.0.1:9", "--profile", "anomaly-detector-dev", env=env)
    assert unreachable.returncode == 2 and "could not be reached" in unreachable.stderr
