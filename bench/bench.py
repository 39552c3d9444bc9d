#!/usr/bin/env python3
"""Coffer beside moto_server, in one run on this machine: GetSecretValue throughput and latency with
signed requests (wrk, 16 connections), start-up time and idle memory. Prints a table and the ratios.

Usage: python3 bench/bench.py [--coffer PATH] [--duration SECONDS] [--connections N]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

REPO = Path(__file__).resolve().parents[1]
KEY, SECRET = "AKIABENCHMARK0000001", "bench-secret-key-0123456789abcdefghijkl"
REGION = "us-east-1"
VALUE = json.dumps({"username": "bench", "password": "x" * 150, "host": "db.internal"})[:200].ljust(200)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start(cmd, port, health, env=None):
    """Starts a server and returns (process, milliseconds from exec to its first successful response)."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    while time.perf_counter() - began < 60:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=1) as r:
                if r.status < 500:
                    return proc, (time.perf_counter() - began) * 1000
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return proc, (time.perf_counter() - began) * 1000
        except OSError:
            time.sleep(0.001)
    raise RuntimeError(f"{cmd[0]} did not start")


def signed_headers(endpoint, body):
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint + "/", data=body,
        headers={"X-Amz-Target": "secretsmanager.GetSecretValue", "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), "secretsmanager", REGION).add_auth(request)
    return dict(request.prepare().headers)


def wrk(endpoint, duration, connections, threads):
    body = json.dumps({"SecretId": "bench/secret"})
    headers = signed_headers(endpoint, body.encode())
    lua = "wrk.method = 'POST'\nwrk.body = " + json.dumps(body) + "\n"
    for name, value in headers.items():
        if name.lower() not in ("content-length", "host"):
            lua += f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n"
    # Count answers that are not 200, so a failing server cannot look fast.
    lua += "non200 = 0\nfunction response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end\n"
    lua += "function done(summary, latency, requests) io.write(string.format('NON200 %d\\n', non200)) end\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency",
                          "-s", f.name, endpoint + "/"], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    return parse_wrk(out)


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = int(re.search(r"NON200 (\d+)", out).group(1))
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non200": errors, "socket_errors": sock.group(1) if sock else ""}


def seed(endpoint):
    sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION,
                      aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    sm.create_secret(Name="bench/secret", SecretString=VALUE)
    assert sm.get_secret_value(SecretId="bench/secret")["SecretString"] == VALUE


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(REPO / ".build" / "release" / "coffer"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    if not shutil.which("moto_server"):
        sys.exit("moto_server is needed: pip install 'moto[server]'")

    data = tempfile.mkdtemp(prefix="coffer-bench-")
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=KEY, COFFER_ROOT_SECRET_ACCESS_KEY=SECRET)
    coffer_port, moto_port = free_port(), free_port()
    coffer, coffer_start = start([args.coffer, "serve", "--port", str(coffer_port), "--data-dir", data, "--log-level", "warning"],
                                 coffer_port, "/health", env)
    time.sleep(1)
    coffer_idle = rss_kib(coffer.pid)
    moto, moto_start = start(["moto_server", "-p", str(moto_port)], moto_port, "/moto-api/")
    time.sleep(1)
    moto_idle = rss_kib(moto.pid)
    try:
        seed(f"http://127.0.0.1:{coffer_port}")
        seed(f"http://127.0.0.1:{moto_port}")
        runs = {"coffer": [], "moto": []}
        for _ in range(args.rounds):
            runs["coffer"].append(wrk(f"http://127.0.0.1:{coffer_port}", args.duration, args.connections, 2))
            runs["moto"].append(wrk(f"http://127.0.0.1:{moto_port}", args.duration, args.connections, 2))
        loaded = {"coffer": rss_kib(coffer.pid), "moto": rss_kib(moto.pid)}
    finally:
        coffer.send_signal(signal.SIGTERM)
        moto.send_signal(signal.SIGTERM)
        coffer.wait(timeout=30)
        moto.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)

    def median(name, key):
        return statistics.median(r[key] for r in runs[name])

    print(f"GetSecretValue, 200-byte secret, SigV4-signed, wrk {args.connections} connections, "
          f"{args.rounds} alternating rounds of {args.duration}s, medians")
    print(f"{'server':<8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8} {'start ms':>9} {'idle MiB':>9} {'loaded MiB':>11}")
    for name, start_ms, idle in (("coffer", coffer_start, coffer_idle), ("moto", moto_start, moto_idle)):
        print(f"{name:<8} {median(name, 'rps'):>10.0f} {median(name, 'p50_ms'):>8.2f} {median(name, 'p99_ms'):>8.2f} "
              f"{sum(r['non200'] for r in runs[name]):>8} {start_ms:>9.0f} {idle / 1024:>9.1f} {loaded[name] / 1024:>11.1f}")
    ratio = median("coffer", "rps") / median("moto", "rps")
    print(f"throughput ratio coffer/moto: {ratio:.1f}x   p99 ratio moto/coffer: "
          f"{median('moto', 'p99_ms') / median('coffer', 'p99_ms'):.1f}x")
    print("per round (coffer rps / moto rps): " + ", ".join(
        f"{c['rps']:.0f}/{m['rps']:.0f}" for c, m in zip(runs["coffer"], runs["moto"])))
    if any(r["non200"] for r in runs["coffer"]):
        sys.exit("coffer answered some requests with errors")


if __name__ == "__main__":
    main()
