#!/usr/bin/env python3
"""The console's secrets list with 10,000 secrets: time to the first page's HTML (and the next page's,
and a search), medians of 20 requests on loopback, release build, server pinned to core 0. The
secrets are added to the SQLite file as bench/scale_bench.py adds them (copies of a stored secret).

Usage: python3 bench/console_bench.py [--coffer PATH] [--secrets N]
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import scale_bench  # noqa: E402


def timed(session, url, repeat=20):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = session.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), response.text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(bench.REPO / ".build" / "release" / "coffer"))
    parser.add_argument("--secrets", type=int, default=10_000)
    args = parser.parse_args()
    bench.PIN_SERVER[:] = ["taskset", "-c", "0"]
    data = tempfile.mkdtemp(prefix="coffer-console-")
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=bench.KEY, COFFER_ROOT_SECRET_ACCESS_KEY=bench.SECRET)
    proc = None
    try:
        port = bench.free_port()
        proc, _ = bench.start([args.coffer, "serve", "--port", str(port), "--data-dir", data, "--log-level", "warning"], port, "/health", env)
        scale_bench.client(f"http://127.0.0.1:{port}").create_secret(Name="scale/template", Tags=[{"Key": "kind", "Value": "common"}])
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        count = scale_bench.grow(data, args.secrets)
        proc, _ = bench.start([args.coffer, "serve", "--port", str(port), "--data-dir", data, "--log-level", "warning"], port, "/health", env)
        base = f"http://127.0.0.1:{port}"
        session = requests.Session()
        signed_in = session.post(base + "/console/sign-in", data={"access_key_id": bench.KEY, "secret_access_key": bench.SECRET, "region": bench.REGION},
                                 headers={"Origin": base})
        assert signed_in.url.endswith("/console/secrets"), signed_in.url
        first, html = timed(session, base + "/console/secrets")
        rows = html.count("<tr>") - 1
        token = re.search(r'id="next-page" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        second, _ = timed(session, base + token)
        search, _ = timed(session, base + "/console/secrets?q=0001234")
        audit, _ = timed(session, base + "/console/audit", repeat=10)
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)
    print(f"console with {count:,} secrets, medians of 20 requests (ms, loopback, includes the client):")
    print(f"  secrets list, first page ({rows} rows)   {first:8.1f}")
    print(f"  secrets list, next page                 {second:8.1f}")
    print(f"  secrets search (matches one)            {search:8.1f}")
    print(f"  audit view (50 events)                  {audit:8.1f}")


if __name__ == "__main__":
    main()
