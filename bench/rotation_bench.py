#!/usr/bin/env python3
"""Rotation's costs, measured on the release build in one run on this machine.

1. Scheduler tick with 100,000 scheduled secrets and none due: the server's own measure of each
   tick (`rotation tick microseconds=N` at log level trace), median over the ticks of a few seconds.
   The 100,000 rows are copies of one real rotation-configured secret's row (new ARN, name and due
   date each), made with sqlite3 while the server is stopped, so the file holds what 100,000
   RotateSecret calls would leave, without 100,000 calls.
2. GetSecretValue throughput (wrk, 16 connections, signed) while 1,000 secrets rotate with the
   built-in random password, against the same server and the same rounds without rotation:
   alternating rounds, medians and the ratio. A Python thread keeps calling RotateSecret over the
   1,000 secrets for the whole round (and, in the rounds without rotation, DescribeSecret over
   them at the same pace, so both rounds carry the same client load).

Usage: python3 bench/rotation_bench.py [--coffer PATH] [--duration SECONDS] [--rounds N]
"""
import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import KEY, REGION, SECRET, VALUE, free_port, start, wrk  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench-password"


def config(path, interval):
    path.write_text(json.dumps({"rotation": {"intervalSeconds": interval, "functions": [{"name": "bench-password", "type": "random-password"}]}}))
    return str(path)


def serve(binary, data, conf, port, level="warning", log=None):
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=KEY, COFFER_ROOT_SECRET_ACCESS_KEY=SECRET)
    cmd = [binary, "serve", "--port", str(port), "--data-dir", data, "--config", conf, "--log-level", level]
    if log is None:
        return start(cmd, port, "/health", env)[0]
    began = time.time()
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
    while time.time() - began < 30:
        try:
            import urllib.request
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("coffer did not start")


def client(port):
    return boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id=KEY, aws_secret_access_key=SECRET)


def tick_cost(binary, count):
    data = tempfile.mkdtemp(prefix="coffer-rot-tick-")
    conf = config(Path(data + ".json"), 0.05)
    port = free_port()
    proc = serve(binary, data, conf, port)
    sm = client(port)
    sm.create_secret(Name="scheduled", SecretString=json.dumps({"password": "p"}))
    sm.rotate_secret(SecretId="scheduled", RotationLambdaARN=ARN, RotateImmediately=False, RotationRules={"AutomaticallyAfterDays": 30})
    time.sleep(1)
    proc.terminate()
    proc.wait()
    db = sqlite3.connect(os.path.join(data, "coffer.db"))
    with db:
        db.execute("""INSERT INTO records(arn, kind, account, region, name, revision, deletion_date, due_date, doc)
                      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                      SELECT arn || '-' || i, kind, account, region, name || '-' || i, revision, deletion_date, due_date + i, doc
                      FROM records, n WHERE name = 'scheduled'""", (count - 1,))
    scheduled = db.execute("SELECT count(*) FROM records WHERE due_date IS NOT NULL").fetchone()[0]
    db.close()
    log_path = data + "-serve.log"
    with open(log_path, "wb") as log:
        proc = serve(binary, data, conf, port, level="trace", log=log)
        time.sleep(5)
        proc.terminate()
        proc.wait()
    ticks = [int(m) for m in re.findall(r"microseconds=(\d+)", Path(log_path).read_text(errors="replace"))]
    return scheduled, ticks


def throughput(binary, duration, rounds, count):
    data = tempfile.mkdtemp(prefix="coffer-rot-tput-")
    conf = config(Path(data + ".json"), 0.2)
    port = free_port()
    proc = serve(binary, data, conf, port)
    url = f"http://127.0.0.1:{port}"
    try:
        sm = client(port)
        sm.create_secret(Name="bench/secret", SecretString=VALUE)
        names = [f"bench/rotating-{i}" for i in range(count)]
        for name in names:
            sm.create_secret(Name=name, SecretString=json.dumps({"username": "u", "password": "p"}))
        scenario = ("secretsmanager.GetSecretValue", "secretsmanager", json.dumps({"SecretId": "bench/secret"}))
        results = {"quiet": [], "rotating": []}
        rotated = []
        for _ in range(rounds):
            for mode in ("quiet", "rotating"):
                stop = threading.Event()
                done = [0]

                def drive():
                    c = client(port)
                    i = 0
                    while not stop.is_set():
                        name = names[i % count]
                        i += 1
                        try:
                            if mode == "rotating":
                                c.rotate_secret(SecretId=name, RotationLambdaARN=ARN, RotationRules={"AutomaticallyAfterDays": 30})
                                done[0] += 1
                            else:
                                c.describe_secret(SecretId=name)
                        except c.exceptions.InvalidRequestException:
                            pass  # still rotating from the last pass

                driver = threading.Thread(target=drive)
                driver.start()
                results[mode].append(wrk(url, scenario, duration, 16, 2))
                stop.set()
                driver.join()
                if mode == "rotating":
                    rotated.append(done[0])
        return results, rotated
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(REPO / ".build" / "release" / "coffer"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--secrets", type=int, default=100_000)
    parser.add_argument("--rotating", type=int, default=1000)
    args = parser.parse_args()
    scheduled, ticks = tick_cost(args.coffer, args.secrets)
    print(f"scheduler tick, {scheduled} scheduled secrets, none due: median {statistics.median(ticks)} us over {len(ticks)} ticks "
          f"(min {min(ticks)}, max {max(ticks)})")
    results, rotated = throughput(args.coffer, args.duration, args.rounds, args.rotating)
    quiet = statistics.median(r["rps"] for r in results["quiet"])
    busy = statistics.median(r["rps"] for r in results["rotating"])
    errors = sum(r["non200"] for rs in results.values() for r in rs)
    print(f"GetSecretValue without rotation: {quiet:.0f} req/s (p99 {statistics.median(r['p99_ms'] for r in results['quiet']):.2f} ms)")
    print(f"GetSecretValue while {args.rotating} secrets rotate: {busy:.0f} req/s "
          f"(p99 {statistics.median(r['p99_ms'] for r in results['rotating']):.2f} ms); rotations started per round: {rotated}")
    print(f"ratio: {busy / quiet:.3f}; non-200 answers: {errors}")


if __name__ == "__main__":
    main()
