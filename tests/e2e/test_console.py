"""The web console in a real browser (headless Chromium through Selenium) against a real `coffer serve`:
sign in, create a secret, reveal it, find the reveal in the audit view, a denied user's view, sign out,
an ended session, a secret deleted elsewhere; no secret value in any page unless revealed, nor in the
browser's storage; strict headers on every page. Screenshots of the main pages are saved under
tests/e2e/artifacts/console/."""
import json
import os
import re
import shutil
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = Path(__file__).parent / "artifacts" / "console"
VALUE = "s3cr3t-console-value-7f9c2a"
NEW_VALUE = "rotated-by-hand-value-91b2"


def chromium_paths():
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    assert browser and driver, "the console tests need chromium and chromedriver (.ci/run installs Debian's chromium and chromium-driver)"
    return browser, driver


@pytest.fixture
def browser():
    binary, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--disable-gpu"):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.implicitly_wait(2)
    yield chrome
    chrome.quit()


def click(browser, locator, value):
    """Clicks a link or a submit button and waits for the page it leads to. Chromium now and then
    refuses a click on an element it has just handed out ("does not belong to the document") when
    the machine is busy; the click did not happen then, so it is tried again on a fresh lookup."""
    for _ in range(3):
        page = browser.find_element(By.TAG_NAME, "html")
        try:
            browser.find_element(locator, value).click()
        except StaleElementReferenceException:
            continue
        except WebDriverException as error:
            if "does not belong to the document" not in str(error):
                raise
            continue
        WebDriverWait(browser, 10).until(lambda _: is_gone(page))
        return
    raise AssertionError(f"could not click {value}")


def is_gone(element):
    """True once the element has left the document. Chromium says so either as a stale reference or,
    when the new page replaces the old one mid-question, as "does not belong to the document"."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise


def shot(browser, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def sign_in(browser, coffer, key, secret):
    browser.get(coffer.endpoint + "/console/")
    assert browser.current_url.endswith("/console/sign-in")
    browser.find_element(By.ID, "access_key_id").send_keys(key)
    browser.find_element(By.ID, "secret_access_key").send_keys(secret)
    click(browser, By.ID, "sign-in")


def messages(browser):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".message, .field-error")]


def assert_storage_clean(browser):
    """Nothing in the browser's storage, and the session cookie is out of scripts' reach."""
    assert browser.execute_script("return window.localStorage.length") == 0
    assert browser.execute_script("return window.sessionStorage.length") == 0
    assert browser.execute_script("return document.cookie") == ""
    cookies = browser.get_cookies()
    assert [c["name"] for c in cookies] == ["coffer_console"] and all(c["httpOnly"] for c in cookies)
    assert all(VALUE not in c["value"] and NEW_VALUE not in c["value"] for c in cookies)


def test_sign_in_create_reveal_audit_and_sign_out(coffer, browser):
    key, secret = coffer.root_credentials()
    seen_html = []

    # Wrong credentials: a message in the page, never the secret that was typed.
    sign_in(browser, coffer, key, "not-the-secret")
    assert "The access key id or the secret access key is not right." in messages(browser)
    assert "not-the-secret" not in browser.page_source
    shot(browser, "sign-in")

    browser.find_element(By.ID, "secret_access_key").send_keys(secret)
    browser.find_element(By.ID, "access_key_id").clear()
    browser.find_element(By.ID, "access_key_id").send_keys(key)
    click(browser, By.ID, "sign-in")
    assert browser.current_url.endswith("/console/secrets"), (browser.current_url, messages(browser))
    assert secret not in browser.page_source

    # Create a secret through the form; AWS's validation message appears beside the field first.
    click(browser, By.ID, "new-secret")
    browser.find_element(By.ID, "name").send_keys("bad name with spaces?")
    browser.find_element(By.ID, "value").send_keys(VALUE)
    click(browser, By.ID, "create")
    assert any("Invalid name" in m for m in messages(browser)), messages(browser)
    seen_html.append(browser.page_source)
    name = browser.find_element(By.ID, "name")
    name.clear()
    name.send_keys("console/app/db")
    browser.find_element(By.ID, "description").send_keys("Made in the console")
    browser.find_element(By.ID, "value").send_keys(VALUE)
    click(browser, By.ID, "create")
    assert "The secret was created." in messages(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == "console/app/db"
    assert "AWSCURRENT" in browser.find_element(By.ID, "versions").text
    seen_html.append(browser.page_source)
    shot(browser, "secret")

    # The list shows it; nothing so far carried the value.
    browser.get(coffer.endpoint + "/console/secrets")
    assert "console/app/db" in browser.page_source and "Made in the console" in browser.page_source
    seen_html.append(browser.page_source)
    shot(browser, "secrets")
    assert all(VALUE not in html for html in seen_html)
    assert_storage_clean(browser)

    # Reveal on an explicit click (a POST: the value is in no URL), then put a new value.
    click(browser, By.LINK_TEXT, "console/app/db")
    click(browser, By.ID, "reveal")
    assert browser.find_element(By.ID, "secret-value").text == VALUE
    assert VALUE not in browser.current_url
    shot(browser, "secret-revealed")
    browser.find_element(By.ID, "new-value").send_keys(NEW_VALUE)
    click(browser, By.ID, "action-put")
    assert "The new value is stored and current." in messages(browser)
    assert NEW_VALUE not in browser.page_source
    sm = coffer.client()
    assert sm.get_secret_value(SecretId="console/app/db")["SecretString"] == NEW_VALUE
    description = browser.find_element(By.ID, "new-description")
    description.clear()
    description.send_keys("Changed in the console")
    click(browser, By.ID, "action-describe")
    assert "The description is changed." in messages(browser)
    assert sm.describe_secret(SecretId="console/app/db")["Description"] == "Changed in the console"
    assert_storage_clean(browser)

    # The reveal is in the trail, as the user's own GetSecretValue, from the console.
    browser.get(coffer.endpoint + "/console/audit?attribute=EventName&value=GetSecretValue")
    rows = browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")
    assert rows, browser.page_source
    records = [json.loads(e.get_attribute("textContent")) for e in browser.find_elements(By.CSS_SELECTOR, "#events details pre")]
    console_reads = [r for r in records if r["userAgent"].startswith("coffer-console/")]
    assert console_reads and console_reads[0]["requestParameters"]["secretId"].startswith("arn:aws:secretsmanager:")
    assert all(VALUE not in json.dumps(r) and NEW_VALUE not in json.dumps(r) for r in records)
    shot(browser, "audit")
    click(browser, By.ID, "verify-chain")
    assert browser.find_element(By.ID, "chain-status").text.startswith("The chain verifies: records 1 to ")

    # Sign out: the session is gone, and the pages send the browser back to sign in.
    click(browser, By.XPATH, "//button[text()='Sign out']")
    assert browser.current_url.endswith("/console/sign-in?reason=signed-out")
    browser.get(coffer.endpoint + "/console/secrets")
    assert "/console/sign-in" in browser.current_url
    assert browser.get_cookies() == []


def test_a_denied_user_sees_why_and_nothing_more(coffer, browser):
    iam = coffer.client("iam")
    sm = coffer.client()
    sm.create_secret(Name="team/locked", SecretString=VALUE)
    iam.create_user(UserName="viewer")
    iam.put_user_policy(UserName="viewer", PolicyName="list-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:ListSecrets", "cloudtrail:LookupEvents"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName="viewer")["AccessKey"]
    sign_in(browser, coffer, key["AccessKeyId"], key["SecretAccessKey"])
    assert "team/locked" in browser.page_source
    click(browser, By.LINK_TEXT, "team/locked")
    text = " ".join(messages(browser))
    assert "Access denied" in text and "AccessDeniedException" in text and "secretsmanager:DescribeSecret" in text
    assert VALUE not in browser.page_source
    shot(browser, "denied")
    # The denial is in the trail, marked in the audit view.
    browser.get(coffer.endpoint + "/console/audit?attribute=Username&value=viewer")
    denied = browser.find_elements(By.CSS_SELECTOR, "#events tr.denied")
    assert denied and "DescribeSecret" in denied[0].text


def test_ended_sessions_deleted_secrets_and_forged_forms(coffer, browser):
    key, secret = coffer.root_credentials()
    sm = coffer.client()
    sm.create_secret(Name="gone/soon", SecretString=VALUE)
    sign_in(browser, coffer, key, secret)
    click(browser, By.LINK_TEXT, "gone/soon")
    # Deleted in another tab (here, by the CLI's API): a clear message, not a blank page.
    sm.delete_secret(SecretId="gone/soon", ForceDeleteWithoutRecovery=True)
    browser.refresh()
    assert any("ResourceNotFoundException" in m for m in messages(browser))
    assert browser.find_element(By.LINK_TEXT, "Back to the secrets")

    # A form posted without the page's CSRF token is refused, and changes nothing.
    cookie = browser.get_cookie("coffer_console")["value"]
    request = urllib.request.Request(coffer.endpoint + "/console/secrets/new", method="POST",
                                     data=b"name=forged&value=x", headers={"Cookie": f"coffer_console={cookie}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403
    assert all(s["Name"] != "forged" for s in sm.list_secrets()["SecretList"])

    # Every page carries the strict headers.
    with urllib.request.urlopen(urllib.request.Request(coffer.endpoint + "/console/secrets", headers={"Cookie": f"coffer_console={cookie}"})) as page:
        policy = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
        assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Content-Type-Options"] == "nosniff"
        assert "<script" not in page.read().decode()

    # A restarted server has forgotten its sessions: the browser is asked to sign in again.
    coffer.restart()
    browser.get(coffer.endpoint + "/console/secrets")
    assert browser.current_url.endswith("/console/sign-in?reason=expired")
    assert "Your session has ended. Sign in again." in messages(browser)


def test_console_fits_a_phone(coffer, browser):
    key, secret = coffer.root_credentials()
    browser.set_window_size(390, 844)
    sign_in(browser, coffer, key, secret)
    assert browser.current_url.endswith("/console/secrets")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400, width
    shot(browser, "secrets-phone")


def test_parameter_tree_secure_values_and_keys(coffer, browser):
    """Seed 003's hierarchy as a tree; a SecureString's value only after a click; KMS keys with state and policy."""
    ssm = coffer.client("ssm")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/DATABASE/HOST", Value="db.staging.internal", Type="String")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/DATABASE/PASSWORD", Value=VALUE, Type="SecureString")
    ssm.put_parameter(Name="/ELASMETRICS/STAGING/DATABASE/PASSWORD", Value=NEW_VALUE, Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name="/ELASMETRICS/PRODUCTION/API/URL", Value="https://api.example", Type="String")
    kms = coffer.client("kms")
    key_id = kms.create_key(Description="console test key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/console-test", TargetKeyId=key_id)
    kms.enable_key_rotation(KeyId=key_id)
    key, secret = coffer.root_credentials()
    sign_in(browser, coffer, key, secret)

    click(browser, By.LINK_TEXT, "Parameters")
    click(browser, By.LINK_TEXT, "ELASMETRICS/")
    tree = browser.find_element(By.ID, "tree").text
    assert "STAGING/" in tree and "PRODUCTION/" in tree
    click(browser, By.LINK_TEXT, "STAGING/")
    click(browser, By.LINK_TEXT, "DATABASE/")
    assert {"HOST", "PASSWORD"} <= set(e.text for e in browser.find_elements(By.CSS_SELECTOR, "#tree a"))
    shot(browser, "parameters")
    assert VALUE not in browser.page_source and NEW_VALUE not in browser.page_source
    click(browser, By.LINK_TEXT, "PASSWORD")
    assert NEW_VALUE not in browser.page_source and VALUE not in browser.page_source
    assert len(browser.find_elements(By.CSS_SELECTOR, "table tbody tr")) == 2
    click(browser, By.ID, "reveal-parameter")
    assert browser.find_element(By.ID, "parameter-value").text == NEW_VALUE
    assert_storage_clean(browser)

    click(browser, By.LINK_TEXT, "Keys")
    row = browser.find_element(By.XPATH, f"//tr[td/a[text()='{key_id}']]").text
    assert "alias/console-test" in row and "Enabled" in row and "on, next" in row
    shot(browser, "keys")
    click(browser, By.LINK_TEXT, key_id)
    assert '"Version": "2012-10-17"' in browser.page_source.replace("&quot;", '"')


def test_rotation_outcomes_rotate_now_rollback_and_iam(binary, tmp_path, browser):
    from test_rotation import ACCOUNT, lambda_arn, start_node, wait_for, events
    node = start_node(binary, tmp_path, [
        {"name": "rotate-password", "type": "random-password"},
        {"name": "broken", "type": "command", "timeoutSeconds": 10, "command": ["/bin/false"], "role": f"arn:aws:iam::{ACCOUNT}:role/rotation"}])
    try:
        sm = node.client()
        sm.create_secret(Name="app/rotating", SecretString=VALUE)
        sm.create_secret(Name="app/failing", SecretString=VALUE)
        sm.rotate_secret(SecretId="app/rotating", RotationLambdaARN=lambda_arn("rotate-password"), RotationRules={"AutomaticallyAfterDays": 30})
        sm.rotate_secret(SecretId="app/failing", RotationLambdaARN=lambda_arn("broken"), RotationRules={"ScheduleExpression": "rate(10 days)"})
        wait_for(lambda: events(node, "RotationSucceeded"))
        wait_for(lambda: events(node, "RotationFailed"))
        iam = node.client("iam")
        iam.create_user(UserName="ops")
        ops_key = iam.create_access_key(UserName="ops")["AccessKey"]["AccessKeyId"]
        key, secret = node.root_credentials()
        sign_in(browser, node, key, secret)

        click(browser, By.LINK_TEXT, "Rotation")
        page = browser.page_source
        assert "app/rotating" in page and "every 30 days" in page and "rate(10 days)" in page and "rotate-password" in page
        outcomes = browser.find_element(By.ID, "rotations").text
        assert "RotationSucceeded" in outcomes and "RotationFailed" in outcomes
        assert browser.find_elements(By.CSS_SELECTOR, "#rotations tr.denied")
        shot(browser, "rotation")

        # Rotate now, then roll back to the version before (seed 004's emergency rollback).
        click(browser, By.LINK_TEXT, "app/rotating")
        stages_before = sm.describe_secret(SecretId="app/rotating")["VersionIdsToStages"]
        previous = next(v for v, s in stages_before.items() if "AWSPREVIOUS" in s)
        click(browser, By.ID, "action-rollback")
        assert "AWSCURRENT is back on the version that was AWSPREVIOUS." in messages(browser)
        after = sm.describe_secret(SecretId="app/rotating")["VersionIdsToStages"]
        assert "AWSCURRENT" in after[previous]
        assert sm.get_secret_value(SecretId="app/rotating")["SecretString"] == VALUE
        click(browser, By.ID, "action-rotate")
        assert "Rotation started." in messages(browser)
        wait_for(lambda: len(events(node, "RotationSucceeded")) >= 2)

        click(browser, By.LINK_TEXT, "IAM")
        users = browser.page_source
        assert "ops" in users and ops_key in users and "never used" in users and "0 days old" in users
        shot(browser, "iam")
        assert_storage_clean(browser)
    finally:
        node.stop()


def test_findings_from_the_posture_checks(coffer, browser):
    """The posture report in the page: severities, links to the resource, read as the signed-in user."""
    sm = coffer.client()
    sm.create_secret(Name="legacy/token", SecretString=VALUE)
    kms = coffer.client("kms")
    key_id = kms.create_key(Description="never rotated")["KeyMetadata"]["KeyId"]
    key, secret = coffer.root_credentials()
    sign_in(browser, coffer, key, secret)
    click(browser, By.LINK_TEXT, "Findings")
    assert not browser.find_elements(By.ID, "summary")
    click(browser, By.ID, "run-checks")
    summary = browser.find_element(By.ID, "summary").text
    assert "findings" in summary and "checks run" in summary
    table = browser.find_element(By.TAG_NAME, "table").text
    assert "secret-rotation-disabled" in table and "kms-key-rotation-disabled" in table
    assert browser.find_element(By.XPATH, "//a[contains(@href, '/console/secret?id=') and contains(text(), 'legacy/token')]")
    assert browser.find_element(By.XPATH, f"//a[contains(@href, '/console/key?id={key_id}')]")
    assert VALUE not in browser.page_source
    shot(browser, "findings")


def test_a_broken_chain_shows_where(coffer, browser):
    """A record changed in the database behind Coffer's back: the audit view's check names it."""
    import sqlite3
    sm = coffer.client()
    for i in range(3):
        sm.create_secret(Name=f"chain/{i}", SecretString=VALUE)
    coffer.stop()
    db = sqlite3.connect(coffer.data_dir / "coffer.db")
    sequence, record = next((s, r) for s, r in db.execute("SELECT sequence, record FROM audit_records ORDER BY sequence") if b"chain/1" in bytes(r))
    db.execute("UPDATE audit_records SET record = ? WHERE sequence = ?", (bytes(record).replace(b"chain/1", b"chain/X"), sequence))
    db.commit()
    db.close()
    coffer.start()
    key, secret = coffer.root_credentials()
    sign_in(browser, coffer, key, secret)
    click(browser, By.LINK_TEXT, "Audit")
    click(browser, By.ID, "verify-chain")
    status = browser.find_element(By.ID, "chain-status").text
    assert status.startswith(f"The chain is broken: changed at record {sequence}"), status
