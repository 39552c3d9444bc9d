#!/usr/bin/env python3
"""coffer policy lint beside Parliament and Cloudsplaining on the same inputs, and coffer posture at scale.

1. Findings: the labelled cases of bench/lint_corpus.py through each tool; a positive case counts
   when the tool reports its problem, a negative case is a false alarm when it does (Coffer at
   SECURITY_WARNING or ERROR, Parliament at any severity, Cloudsplaining's risk flags).
2. Speed: 1,000 policies (the corpus and the seed policies, repeated under new names and ARNs);
   coffer as one process over the directory (start and dataset load included, median of rounds),
   Parliament and Cloudsplaining in-process through their Python APIs (interpreter start and
   imports excluded, one round; Parliament on the first 100 policies, scaled by 10).
3. Posture: a release `coffer serve` seeded with 10,000 secrets, 1,000 users with one access key
   each and 1,000 KMS keys; the time of `coffer posture` (median of --rounds).

IAM Access Analyzer's ValidatePolicy needs an AWS account and is not run here.
Usage: python3 bench/policy_bench.py [--coffer PATH] [--rounds N] [--skip-posture]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from lint_corpus import CASES  # noqa: E402


def coffer_codes(binary, text):
    out = subprocess.run([binary, "policy", "lint", "-", "--format", "json", "--fail-on", "none"], input=text, capture_output=True, text=True)
    findings = json.loads(out.stdout)["results"][0]["findings"]
    return {(f["issueCode"], f["findingType"]) for f in findings}


def parliament_issues(text):
    from parliament import analyze_policy_string
    return {f.issue for f in analyze_policy_string(text, include_community_auditors=True).findings}


def cloudsplaining_flags(text):
    from cloudsplaining.scan.policy_document import PolicyDocument
    document = PolicyDocument(json.loads(text))
    risks = ["allows_privilege_escalation", "allows_data_exfiltration_actions", "credentials_exposure",
             "permissions_management_without_constraints", "service_wildcard", "infrastructure_modification"]
    return {risk for risk in risks if getattr(document, risk)}


def findings_table(binary):
    tools = {"coffer": 0, "parliament": 0, "cloudsplaining": 0}
    false_alarms = dict(tools)
    positives = sum(1 for c in CASES if c["positive"])
    rows = []
    for case in CASES:
        text = case["policy"]
        got = {
            "coffer": coffer_codes(binary, text),
            "parliament": parliament_issues(text),
            "cloudsplaining": cloudsplaining_flags(text),
        }
        marks = []
        for tool in tools:
            wanted = case[tool]
            if tool == "coffer":
                serious = {code for code, level in got[tool] if level in ("ERROR", "SECURITY_WARNING") or case["positive"]}
                hit = bool(serious) if wanted == ["*"] else any(code in serious for code in wanted)
            else:
                hit = bool(got[tool]) if wanted == ["*"] else any(w in got[tool] for w in wanted)
            if case["positive"] and hit:
                tools[tool] += 1
            if not case["positive"] and hit:
                false_alarms[tool] += 1
            marks.append(("found" if hit else "missed") if case["positive"] else ("false alarm" if hit else "quiet"))
        rows.append((case["name"], "problem" if case["positive"] else "no problem", *marks))
    return rows, tools, false_alarms, positives, len(CASES) - positives


def corpus(directory: Path, count: int):
    seeds = [(REPO / "tests/e2e/seed_000_policy.json").read_text(), (REPO / "tests/e2e/seed_003_policy.json").read_text()]
    seeds += json.loads((REPO / "tests/e2e/seed_002_policies.json").read_text()).values()
    texts = [c["policy"] for c in CASES] + seeds
    for i in range(count):
        text = texts[i % len(texts)].replace("123456789012", f"{100000000000 + i}").replace("app", f"app{i}")
        (directory / f"p{i:04d}.json").write_text(text)
    return sorted(directory.glob("*.json"))


def timed(fn):
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def speed(binary, rounds):
    with tempfile.TemporaryDirectory() as tmp:
        files = corpus(Path(tmp), 1000)
        texts = [f.read_text() for f in files]
        parliament_issues(texts[0])
        cloudsplaining_flags(texts[0])
        coffer = [timed(lambda: subprocess.run([binary, "policy", "lint", tmp, "--format", "json", "--fail-on", "none"], capture_output=True, check=True))
                  for _ in range(rounds)]
        # Parliament takes about half a second a policy here: timed on the first 100, scaled to 1,000.
        parliament = [10 * timed(lambda: [parliament_issues(t) for t in texts[:100]])]

        def run():
            for t in texts:
                try:
                    cloudsplaining_flags(t)
                except Exception:
                    pass  # statements without Resource, lone statements: Cloudsplaining raises
        cloudsplaining = [timed(run)]
    return statistics.median(coffer), statistics.median(parliament), statistics.median(cloudsplaining)


def posture(binary, rounds):
    from conftest import Coffer, aws_env
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        node = Coffer(binary, tmp / "data").start()
        try:
            import boto3
            from botocore.config import Config
            key, secret = node.root_credentials()

            def client(service):
                return boto3.client(service, endpoint_url=node.endpoint, region_name="us-east-1", aws_access_key_id=key,
                                    aws_secret_access_key=secret, config=Config(max_pool_connections=32))
            sm, iam, kms = client("secretsmanager"), client("iam"), client("kms")

            def parallel(work, count, threads=16):
                def worker(k):
                    for i in range(k, count, threads):
                        work(i)
                pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
                for t in pool:
                    t.start()
                for t in pool:
                    t.join()

            began = time.perf_counter()
            parallel(lambda i: sm.create_secret(Name=f"app/{i:05d}", SecretString="x"), 10_000)
            parallel(lambda i: (iam.create_user(UserName=f"user{i:04d}"), iam.create_access_key(UserName=f"user{i:04d}")), 1_000)
            parallel(lambda i: kms.create_key(Description=f"k{i}"), 1_000)
            seeded = time.perf_counter() - began
            env = aws_env(tmp, node)
            times, report = [], None
            for _ in range(rounds):
                out = tmp / "report.json"
                times.append(timed(lambda: subprocess.run([binary, "posture", "--endpoint-url", node.endpoint, "--aws-profile", "anomaly-detector-dev",
                                                           "--no-progress", "--fail-on", "none", "--report-file", str(out)], capture_output=True, env=env)))
                report = json.loads(out.read_text())
            return seeded, statistics.median(times), report["examined"], len(report["findings"])
        finally:
            node.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(REPO / ".build/release/coffer"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-posture", action="store_true")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "parliament", "cloudsplaining"], check=True, capture_output=True)
    import parliament
    import importlib.metadata as md
    print(f"parliament {md.version('parliament')}, cloudsplaining {md.version('cloudsplaining')}, coffer {args.coffer}\n")
    rows, found, false_alarms, positives, negatives = findings_table(args.coffer)
    print("| case | truth | coffer | Parliament | Cloudsplaining |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nfound (of {positives} problems): coffer {found['coffer']}, Parliament {found['parliament']}, Cloudsplaining {found['cloudsplaining']}")
    print(f"false alarms (of {negatives} clean cases): coffer {false_alarms['coffer']}, Parliament {false_alarms['parliament']}, "
          f"Cloudsplaining {false_alarms['cloudsplaining']}\n")
    coffer, parl, cspl = speed(args.coffer, args.rounds)
    print(f"1,000 policies: coffer {coffer:.2f} s (one process, start included), Parliament {parl:.2f} s, Cloudsplaining {cspl:.2f} s "
          f"(in-process); coffer {parl / coffer:.1f}x Parliament, {cspl / coffer:.1f}x Cloudsplaining")
    if not args.skip_posture:
        seeded, seconds, examined, findings = posture(args.coffer, args.rounds)
        print(f"posture over {examined}: {seconds:.2f} s (median), {findings} findings; seeding took {seeded:.1f} s")


if __name__ == "__main__":
    main()
