#!/usr/bin/env python3
"""Cached reads: one secret read N times through `coffer agent` (localhost, cached) and straight from
`coffer serve` with boto3 (a signed GetSecretValue each time), same run, same machine.

Reports the median per-read time of each (one client thread, keep-alive connections), and the calls
that reached the server, counted in its audit trail (LookupEvents): the requests the cache avoided.
Usage: python3 bench/agent_bench.py [--coffer PATH] [--reads N] [--rounds R]
"""
import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from conftest import Coffer, aws_env, free_port  # noqa: E402

TOKEN = "bench-token"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(REPO / ".build/release/coffer"))
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        node = Coffer(args.coffer, tmp / "data").start()
        agent = None
        try:
            sm = node.client()
            sm.create_secret(Name="bench/db", SecretString='{"password":"x"}')
            port = free_port()
            env = aws_env(tmp, node)
            env.update(AWS_PROFILE="anomaly-detector-dev", AWS_ENDPOINT_URL=node.endpoint, AWS_TOKEN=TOKEN)
            agent = subprocess.Popen([args.coffer, "agent", "--port", str(port), "--version-check-seconds", "30"], stderr=subprocess.PIPE, env=env, text=True)
            agent.stderr.readline()
            connection = http.client.HTTPConnection("127.0.0.1", port)

            def through_agent():
                connection.request("GET", "/secretsmanager/get?secretId=bench/db", headers={"X-Aws-Parameters-Secrets-Token": TOKEN})
                response = connection.getresponse()
                response.read()
                assert response.status == 200

            def direct():
                sm.get_secret_value(SecretId="bench/db")

            def events():
                ct = node.client("cloudtrail")
                count, token = 0, None
                while True:
                    page = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetSecretValue"}],
                                            MaxResults=50, **({"NextToken": token} if token else {}))
                    count += len(page["Events"])
                    token = page.get("NextToken")
                    if not token:
                        return count

            results = {"agent": [], "direct": []}
            calls = {}
            for _ in range(args.rounds):
                for name, read in (("agent", through_agent), ("direct", direct)):
                    before = events()
                    began = time.perf_counter()
                    for _ in range(args.reads):
                        read()
                    results[name].append((time.perf_counter() - began) / args.reads * 1e6)
                    calls[name] = events() - before
            agent_us, direct_us = statistics.median(results["agent"]), statistics.median(results["direct"])
            print(f"{args.reads} reads of one secret, medians of {args.rounds} rounds:")
            print(f"  through coffer agent: {agent_us:.0f} us a read, {calls['agent']} GetSecretValue calls reached the server (last round)")
            print(f"  boto3 straight to coffer serve: {direct_us:.0f} us a read, {calls['direct']} calls reached the server")
            print(f"  the agent is {direct_us / agent_us:.1f}x faster per read and avoided {calls['direct'] - calls['agent']} of {args.reads} server calls")
        finally:
            if agent:
                agent.terminate()
                agent.wait(timeout=10)
            node.stop()


if __name__ == "__main__":
    main()
