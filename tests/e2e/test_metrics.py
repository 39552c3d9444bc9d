"""GET /metrics: Prometheus's text format with requests by service, operation and outcome, latency
histograms, the audit chain's backlog, cache lookups, rotation outcomes; nothing secret in it."""
import re
import urllib.request

import requests_raw
from conftest import fails


def scrape(node):
    with urllib.request.urlopen(node.endpoint + "/metrics", timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def value(text, name, **labels):
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()) and len(found) >= len(labels):
                return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_calls_and_leak_nothing(coffer):
    sm = coffer.client()
    secret_value = "hunter2-very-secret-value"
    arn = sm.create_secret(Name="metrics/db-password", SecretString=secret_value)["ARN"]
    for _ in range(5):
        sm.get_secret_value(SecretId="metrics/db-password")
    fails(lambda: sm.get_secret_value(SecretId="metrics/none"), "ResourceNotFoundException")
    requests_raw.unknown_operation(coffer, "secretsmanager.NoSuchOperation7f3a")
    text = scrape(coffer)
    assert value(text, "coffer_requests_total", service="secretsmanager", operation="GetSecretValue", outcome="ok") == 5
    assert value(text, "coffer_requests_total", service="secretsmanager", operation="GetSecretValue", outcome="client_error") == 1
    assert value(text, "coffer_request_errors_total", service="secretsmanager", operation="GetSecretValue",
                 error_code="ResourceNotFoundException") == 1
    # An operation no model defines is counted as "unknown": request names cannot grow the label set.
    assert "NoSuchOperation7f3a" not in text and value(text, "coffer_requests_total", operation="unknown") >= 1
    assert value(text, "coffer_request_duration_seconds_count", service="secretsmanager", operation="GetSecretValue") == 6
    assert value(text, "coffer_request_duration_seconds_bucket", service="secretsmanager", operation="GetSecretValue", le="+Inf") == 6
    assert value(text, "coffer_audit_unchained_records") is not None and value(text, "coffer_audit_chain_lag_seconds") is not None
    assert value(text, "coffer_cache_lookups_total", result="hit") > 0
    assert value(text, "coffer_build_info") == 1
    key, _ = coffer.root_credentials()
    for leak in (secret_value, "db-password", arn, key):
        assert leak not in text
    # Counters only grow between scrapes.
    sm.get_secret_value(SecretId=arn)
    again = scrape(coffer)
    assert value(again, "coffer_requests_total", service="secretsmanager", operation="GetSecretValue", outcome="ok") == 6
    assert value(again, "coffer_cache_lookups_total", result="hit") >= value(text, "coffer_cache_lookups_total", result="hit")
