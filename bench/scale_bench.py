#!/usr/bin/env python3
"""Coffer with a thousand secrets, then with a million: GetSecretValue latency, ListSecrets pages and
filters, start-up time and memory, on the same release build and data directory.

Method. A thousand secrets with values are created through the API (sealed, audited, as always). The
server is measured (wrk, signed GetSecretValue requests round robin over those thousand secrets, server
on core 0 and wrk on core 1), then stopped, and 999,000 more secrets are added straight into its SQLite
file: copies of a value-less secret's stored document under new names and ARNs (writing them through
the API would take most of an hour and measure the writes, not the reads). The server is started again
on the million and measured the same way. The added secrets have no audit records of their creation;
everything else about them is what CreateSecret stores.

Usage: python3 bench/scale_bench.py [--coffer PATH] [--secrets N] [--duration S] [--rounds N]
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

WITH_VALUES = 1000


def client(url):
    return boto3.client("secretsmanager", endpoint_url=url, region_name=bench.REGION, aws_access_key_id=bench.KEY,
                        aws_secret_access_key=bench.SECRET)


def timed_ms(call, repeat=15):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(label, binary, data, env, duration, rounds):
    port = bench.free_port()
    proc, started = bench.start([binary, "serve", "--port", str(port), "--data-dir", data, "--log-level", "warning"], port, "/health", env)
    url = f"http://127.0.0.1:{port}"
    try:
        time.sleep(1)
        idle = bench.rss_kib(proc.pid)
        sm = client(url)
        reads = [("secretsmanager.GetSecretValue", "secretsmanager", json.dumps({"SecretId": f"scale/with-value-{i:04d}"}))
                 for i in range(WITH_VALUES)]
        runs = [bench.wrk(url, reads, duration, 16, 2) for _ in range(rounds)]
        assert all(r["non200"] == 0 for r in runs), runs
        first = sm.list_secrets(MaxResults=100)
        assert len(first["SecretList"]) == 100
        changed_token = sm.list_secrets(MaxResults=100, SortBy="last-changed-date")["NextToken"]
        deep_token = sm.list_secrets(MaxResults=100, SortBy="name", Filters=[{"Key": "name", "Values": ["scale/with-value-09"]}])
        listing = {
            "ListSecrets first page (100)": timed_ms(lambda: sm.list_secrets(MaxResults=100)),
            "ListSecrets next page via token": timed_ms(lambda: sm.list_secrets(MaxResults=100, NextToken=first["NextToken"])),
            "ListSecrets by name, desc": timed_ms(lambda: sm.list_secrets(MaxResults=100, SortBy="name", SortOrder="desc")),
            "ListSecrets name prefix filter": timed_ms(
                lambda: sm.list_secrets(MaxResults=100, SortBy="name", Filters=[{"Key": "name", "Values": ["scale/with-value-09"]}])),
            "ListSecrets by last changed": timed_ms(lambda: sm.list_secrets(MaxResults=100, SortBy="last-changed-date")),
            "ListSecrets by last changed, next page": timed_ms(
                lambda: sm.list_secrets(MaxResults=100, SortBy="last-changed-date", NextToken=changed_token)),
            "ListSecrets by last accessed, desc": timed_ms(
                lambda: sm.list_secrets(MaxResults=100, SortBy="last-accessed-date", SortOrder="desc")),
            "ListSecrets tag filter (1 in 1000 match)": timed_ms(
                lambda: sm.list_secrets(MaxResults=10, Filters=[{"Key": "tag-value", "Values": ["rare"]}]), repeat=5),
        }
        assert len(deep_token["SecretList"]) == 100
        loaded = bench.rss_kib(proc.pid)
        return {"label": label, "start_ms": started, "idle_mib": idle / 1024, "loaded_mib": loaded / 1024,
                "rps": statistics.median(r["rps"] for r in runs), "p50": statistics.median(r["p50_ms"] for r in runs),
                "p99": statistics.median(r["p99_ms"] for r in runs), "listing": listing}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


INSERT = ("INSERT INTO records(arn, kind, account, region, name, revision, doc, changed_date, accessed_date) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
# What the store indexes for a secret never read (Secret.date(in:): Date.distantPast).
NEVER_ACCESSED = -62135596800.0


def grow(data, total):
    """Adds copies of a value-less secret's stored document until the store holds `total` secrets."""
    db = sqlite3.connect(os.path.join(data, "coffer.db"))
    arn, account, region, doc = db.execute(
        "SELECT arn, account, region, doc FROM records WHERE kind = 'secret' AND name = 'scale/template'").fetchone()
    template = json.loads(doc)
    have = db.execute("SELECT count(*) FROM records WHERE kind = 'secret'").fetchone()[0]
    prefix = arn[: arn.index(":secret:") + len(":secret:")]
    rows = []
    for i in range(total - have):
        name = f"scale/bulk/{i:07d}"
        # Each copy changed at its own moment (spread over the hour before the template), never read.
        changed = template["lastChangedDate"] - 3600 + i * 3600 / total
        copy = dict(template, name=name, arn=f"{prefix}{name}-{i % 1_000_000:06d}", lastChangedDate=changed)
        if i % 1000 == 0:
            copy["tags"] = [{"key": "kind", "value": "rare"}]
        rows.append((copy["arn"], "secret", account, region, name, 0, json.dumps(copy, separators=(",", ":")).encode(), changed, NEVER_ACCESSED))
        if len(rows) == 50_000:
            db.executemany(INSERT, rows)
            rows.clear()
    db.executemany(INSERT, rows)
    db.commit()
    count = db.execute("SELECT count(*) FROM records WHERE kind = 'secret'").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(bench.REPO / ".build" / "release" / "coffer"))
    parser.add_argument("--secrets", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bench.PIN_SERVER[:] = ["taskset", "-c", "0"]
    bench.PIN_CLIENT[:] = ["taskset", "-c", "1"]
    data = tempfile.mkdtemp(prefix="coffer-scale-")
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=bench.KEY, COFFER_ROOT_SECRET_ACCESS_KEY=bench.SECRET)
    try:
        port = bench.free_port()
        proc, _ = bench.start([args.coffer, "serve", "--port", str(port), "--data-dir", data, "--log-level", "warning"], port, "/health", env)
        sm = client(f"http://127.0.0.1:{port}")
        sm.create_secret(Name="scale/template", Tags=[{"Key": "kind", "Value": "common"}])
        for i in range(WITH_VALUES):
            sm.create_secret(Name=f"scale/with-value-{i:04d}", SecretString=bench.VALUE)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        small = measure(f"{WITH_VALUES + 1:,} secrets", args.coffer, data, env, args.duration, args.rounds)
        began = time.perf_counter()
        count = grow(data, args.secrets)
        grown_s = time.perf_counter() - began
        large = measure(f"{count:,} secrets", args.coffer, data, env, args.duration, args.rounds)
        size = os.path.getsize(os.path.join(data, "coffer.db")) / 1024 / 1024
    finally:
        shutil.rmtree(data, ignore_errors=True)

    print(f"GetSecretValue over {WITH_VALUES} secrets round robin, wrk 16 connections, {args.rounds} rounds of {args.duration}s, medians; "
          f"database {size:.0f} MiB after adding secrets in {grown_s:.0f} s")
    print(f"{'store':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'start ms':>9} {'idle MiB':>9} {'after MiB':>10}")
    for run in (small, large):
        print(f"{run['label']:<20} {run['rps']:>8.0f} {run['p50']:>8.2f} {run['p99']:>8.2f} {run['start_ms']:>9.0f} "
              f"{run['idle_mib']:>9.1f} {run['loaded_mib']:>10.1f}")
    print(f"p99 at {large['label']} / p99 at {small['label']}: {large['p99'] / small['p99']:.2f}")
    print("ListSecrets (medians of timed calls through boto3, ms):")
    for name in small["listing"]:
        print(f"  {name:<42} {small['listing'][name]:>8.1f} {large['listing'][name]:>8.1f}")


if __name__ == "__main__":
    main()
