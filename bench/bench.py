#!/usr/bin/env python3
"""Coffer beside moto_server, in one run on this machine: throughput and latency of GetSecretValue,
GetParameter (SecureString, WithDecryption), KMS Encrypt of 1 KiB and PutSecretValue (round robin
over 16 secrets) with signed requests (wrk, 16 connections), start-up time and idle memory. Prints
a table and the ratios. Coffer runs with its audit trail, as always: every call is recorded.

As the performance issue asks: each server is pinned to core 0 and wrk to core 1 (taskset), and a
bare SwiftNIO server answering each operation with a fixed body of the shape and size of Coffer's answer
(bench/nio-limit, built apart) gives the machine's HTTP limit for the same exchange; Coffer's
GetSecretValue, GetParameter and Encrypt are printed as shares of it (and the latter two also as shares
of its GetSecretValue, the figure earlier runs printed). PutSecretValueHot is 16
writers on one secret (every write a new version; AWS keeps the version count bounded, and the run
prints how many versions the secret ended with). Idle memory is printed as the run found each binary and, for
a copy of Coffer and of the bare NIO server, in both states the kernel's page cache can hold a binary in
(see `idle_by_page_cache`).

Usage: python3 bench/bench.py [--coffer PATH] [--duration SECONDS] [--connections N] [--limit PATH]
"""
import argparse
import base64
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
import uuid
from pathlib import Path

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

REPO = Path(__file__).resolve().parents[1]
KEY, SECRET = "AKIABENCHMARK0000001", "bench-secret-key-0123456789abcdefghijkl"
REGION = "us-east-1"
PUT_VARIANTS = 40_000
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


PIN_SERVER, PIN_CLIENT = [], []


def idle_by_page_cache(binary, arguments, health, env=None, starts=3):
    """Idle resident memory (MiB, medians) of a copy of `binary` in the two states its page cache can be in.

    Linux 6.18 maps a whole large folio of a file on a fault, and how the kernel cached the file sets the
    folio sizes: written (a build's link, a copy, an install) or read with read(2) it holds large folios;
    loaded by an exec from disk (after a reboot, or once evicted) it holds small ones. The same Coffer
    binary idled at 14.1 MiB in the first state and 12.9 in the second; the bare NIO server, whose code
    is not laid out by a link order, at 12.6-12.7 in both. Both are printed, for each binary alike."""
    folder = tempfile.mkdtemp(prefix="coffer-bench-idle-")
    copy = os.path.join(folder, os.path.basename(binary))
    shutil.copy2(binary, copy)
    figures = {}
    try:
        for state in ("written", "from disk"):
            if state == "from disk":
                descriptor = os.open(copy, os.O_RDONLY)
                os.fsync(descriptor)
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(descriptor)
            samples = []
            for _ in range(starts):
                port = free_port()
                process, _ = start([copy, *arguments(port, tempfile.mkdtemp(dir=folder))], port, health, env)
                time.sleep(1)
                samples.append(rss_kib(process.pid) / 1024)
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            figures[state] = statistics.median(samples)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def start(cmd, port, health, env=None):
    """Starts a server and returns (process, milliseconds from exec to its first successful response)."""
    cmd = PIN_SERVER + cmd
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


def signed_headers(endpoint, target, service, body, key=KEY, secret=SECRET):
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint + "/", data=body,
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service, REGION).add_auth(request)
    return dict(request.prepare().headers)


def wrk(endpoint, scenario, duration, connections, threads):
    """Runs wrk with one signed request, or (a list of scenarios) several taken in turn."""
    # A callable makes fresh requests for each run (PutSecretValue's tokens must not repeat across runs).
    scenario = scenario() if callable(scenario) else scenario
    variants = scenario if isinstance(scenario, list) else [scenario]
    lua = "requests = {}\n"
    for index, (target, service, body, *credentials) in enumerate(variants):
        # LuaJIT allows 65,536 constants per function: many requests are built in functions of 500.
        if index % 500 == 0:
            lua += (f"end\nchunk{index // 500 - 1}()\n" if index else "") + f"function chunk{index // 500}()\n"
        headers = signed_headers(endpoint, target, service, body.encode(), *credentials)
        # wrk.format adds Content-Length; Host must be the one that was signed.
        kept = {name: value for name, value in headers.items() if name.lower() != "content-length"}
        kept.setdefault("Host", endpoint.split("://", 1)[1])
        lua += f"requests[{index + 1}] = wrk.format('POST', '/', {{" + ", ".join(
            f"[{json.dumps(n)}] = {json.dumps(v)}" for n, v in kept.items()) + f"}}, {json.dumps(body)})\n"
    lua += f"end\nchunk{(len(variants) - 1) // 500}()\n"
    # Each wrk thread has its own Lua state: thread k takes requests k, k + threads, ..., so no two
    # threads send the same request (a PutSecretValue sent twice is one write and one idempotent retry).
    lua += f"local n = 0\nfunction request() n = n + 1 return requests[((n - 1) * {threads} + id - 1) % #requests + 1] end\n"
    # Count answers that are not 200, so a failing server cannot look fast; the counts are collected
    # from the threads in done().
    lua += "local threads = {}\nfunction setup(thread) table.insert(threads, thread) thread:set('id', #threads) end\n"
    lua += "non200 = 0\nfunction response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end\n"
    lua += ("function done(summary, latency, requests) local total = 0 for _, t in ipairs(threads) do total = total + t:get('non200') end "
            "io.write(string.format('NON200 %d\\n', total)) end\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    out = subprocess.run([*PIN_CLIENT, "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency",
                          "-s", f.name, endpoint + "/"], capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    return parse_wrk(out)


def audit_backlog(endpoint):
    """(records not yet chained, age of the oldest in seconds) from Coffer's /metrics."""
    text = urllib.request.urlopen(endpoint + "/metrics", timeout=10).read().decode()
    values = dict(line.split(" ", 1) for line in text.splitlines() if line.startswith("coffer_audit_"))
    return float(values.get("coffer_audit_unchained_records", 0)), float(values.get("coffer_audit_chain_lag_seconds", 0))


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


def seed(endpoint, iam_user=False):
    """Creates what the scenarios read on one server and returns the scenarios: name -> (target, service, body)."""
    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    sm, ssm, kms = client("secretsmanager"), client("ssm"), client("kms")
    sm.create_secret(Name="bench/secret", SecretString=VALUE)
    for i in range(16):
        sm.create_secret(Name=f"bench/written-{i}", SecretString=VALUE)
    sm.create_secret(Name="bench/hot", SecretString=VALUE)
    assert sm.get_secret_value(SecretId="bench/secret")["SecretString"] == VALUE
    ssm.put_parameter(Name="/bench/secure", Value=VALUE, Type="SecureString")
    assert ssm.get_parameter(Name="/bench/secure", WithDecryption=True)["Parameter"]["Value"] == VALUE
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = base64.b64encode(os.urandom(1024)).decode()
    scenarios = {
        "GetSecretValue": ("secretsmanager.GetSecretValue", "secretsmanager", json.dumps({"SecretId": "bench/secret"})),
        "GetParameter": ("AmazonSSM.GetParameter", "ssm", json.dumps({"Name": "/bench/secure", "WithDecryption": True})),
        "Encrypt1KiB": ("TrentService.Encrypt", "kms", json.dumps({"KeyId": key_id, "Plaintext": plaintext})),
        # A fresh ClientRequestToken per request (AWS requires one on the wire; the SDKs make one): every request is a
        # new version, a durable write with its audit record. wrk replays pre-signed requests, so there are enough
        # distinct ones for a run (beyond them tokens repeat and the answers are idempotent retries).
        "PutSecretValue": lambda: [("secretsmanager.PutSecretValue", "secretsmanager",
                                    json.dumps({"SecretId": f"bench/written-{i % 16}", "SecretString": VALUE, "ClientRequestToken": str(uuid.uuid4())}))
                                   for i in range(PUT_VARIANTS)],
        "PutSecretValueHot": lambda: [("secretsmanager.PutSecretValue", "secretsmanager",
                                       json.dumps({"SecretId": "bench/hot", "SecretString": VALUE, "ClientRequestToken": str(uuid.uuid4())}))
                                      for _ in range(PUT_VARIANTS)],
    }
    if iam_user:
        scenarios["GetSecretValueIAM"] = iam_scenario(client, sm)
    return scenarios


def iam_scenario(client, sm):
    """GetSecretValue as an IAM user with 10 attached managed policies and a resource policy on the secret."""
    iam = client("iam")
    user = iam.create_user(UserName="bench-user")["User"]
    for i in range(10):
        statements = [{"Sid": f"Other{i}", "Effect": "Allow", "Action": [f"ssm:GetParameter", "kms:DescribeKey"],
                       "Resource": f"arn:aws:ssm:*:*:parameter/team{i}/*"},
                      {"Sid": f"Deny{i}", "Effect": "Deny", "Action": "secretsmanager:DeleteSecret", "Resource": "*",
                       "Condition": {"StringNotEquals": {"aws:PrincipalTag/role": "admin"}}}]
        if i == 9:
            statements.append({"Sid": "Read", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                               "Resource": "arn:aws:secretsmanager:*:*:secret:bench/*",
                               "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}}})
        arn = iam.create_policy(PolicyName=f"bench-{i}", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="bench-user", PolicyArn=arn)
    sm.put_resource_policy(SecretId="bench/secret", ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:DeleteSecret", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="bench-user")["AccessKey"]
    as_user = boto3.client("secretsmanager", endpoint_url=sm.meta.endpoint_url, region_name=REGION,
                           aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert as_user.get_secret_value(SecretId="bench/secret")["SecretString"] == VALUE
    return ("secretsmanager.GetSecretValue", "secretsmanager", json.dumps({"SecretId": "bench/secret"}),
            key["AccessKeyId"], key["SecretAccessKey"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(REPO / ".build" / "release" / "coffer"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--baseline", help="another coffer binary (e.g. a build from before a change) to measure every "
                        "selected operation on in the same rounds, for a same-run before/after share")
    parser.add_argument("--database", help="a PostgreSQL URL for Coffer instead of its SQLite file (scripts/with-postgres.sh gives one)")
    parser.add_argument("--baseline-database", help="another PostgreSQL database for the baseline binary")
    parser.add_argument("--only", nargs="*", help="operations to measure (GetSecretValue, GetParameter, Encrypt1KiB, PutSecretValue, "
                        "PutSecretValueHot)")
    parser.add_argument("--limit", default=str(REPO / "bench" / "nio-limit" / ".build" / "release" / "nio-limit"),
                        help="the bare SwiftNIO server (swift build -c release --package-path bench/nio-limit); skipped if absent")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers to core 0 and wrk to core 1")
    args = parser.parse_args()
    if not args.no_pin and shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        PIN_SERVER[:] = ["taskset", "-c", "0"]
        PIN_CLIENT[:] = ["taskset", "-c", "1"]
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    if not shutil.which("moto_server"):
        sys.exit("moto_server is needed: pip install 'moto[server]'")

    data = tempfile.mkdtemp(prefix="coffer-bench-")
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=KEY, COFFER_ROOT_SECRET_ACCESS_KEY=SECRET)
    if args.database or args.baseline_database:
        env["COFFER_ROOT_KEY"] = base64.b64encode(os.urandom(32)).decode()
    coffer_port, moto_port = free_port(), free_port()
    coffer, coffer_start = start([args.coffer, "serve", "--port", str(coffer_port), "--data-dir", data, "--log-level", "warning",
                                  *(["--database", args.database] if args.database else [])],
                                 coffer_port, "/health", env)
    time.sleep(1)
    coffer_idle = rss_kib(coffer.pid)
    moto, moto_start = start(["moto_server", "-p", str(moto_port)], moto_port, "/moto-api/")
    time.sleep(1)
    moto_idle = rss_kib(moto.pid)
    coffer_url, moto_url = f"http://127.0.0.1:{coffer_port}", f"http://127.0.0.1:{moto_port}"
    baseline = None
    if args.baseline:
        base_port, base_data = free_port(), tempfile.mkdtemp(prefix="coffer-bench-base-")
        baseline, _ = start([args.baseline, "serve", "--port", str(base_port), "--data-dir", base_data, "--log-level", "warning",
                             *(["--database", args.baseline_database] if args.baseline_database else [])],
                            base_port, "/health", env)
        base_url = f"http://127.0.0.1:{base_port}"
    limit = None
    if os.path.exists(args.limit):
        limit_port = free_port()
        limit, limit_start = start([args.limit, str(limit_port)], limit_port, "/")
        time.sleep(1)
        limit_idle = rss_kib(limit.pid)
        limit_url = f"http://127.0.0.1:{limit_port}"
    try:
        scenarios = {"coffer": seed(coffer_url, iam_user=True), "moto": seed(moto_url)}
        if baseline:
            # The same data as Coffer's, the IAM user and the secret's resource policy included: without the
            # policy the baseline's reads skipped its evaluation and came out about 5% ahead of any build.
            scenarios["baseline"] = seed(base_url, iam_user=True)
        names = [n for n in scenarios["moto"] if not args.only or n in args.only]
        runs = {(server, name): [] for server in ("coffer", "moto") for name in names}
        runs[("coffer", "GetSecretValueIAM")] = []
        compared = names if baseline else []
        for name in compared:
            runs[("baseline", name)] = []
        limited = [name for name in ("GetSecretValue", "GetParameter", "Encrypt1KiB") if limit and name in names]
        # Records made durable but not yet chained, right after each run: a chain that falls behind a
        # sustained load shows here (its backlog, and the memory holding it, would grow run after run).
        unchained = []
        for name in limited:
            runs[("limit", name)] = []
        for round_index in range(args.rounds):
            for name in names:
                # The build and its baseline take turns going first in a round.
                pair = [("coffer", coffer_url)] + ([("baseline", base_url)] if name in compared else [])
                for server, url in pair if round_index % 2 == 0 else pair[::-1]:
                    runs[(server, name)].append(wrk(url, scenarios[server][name], args.duration, args.connections, 2))
                    if server == "coffer":
                        unchained.append((name, *audit_backlog(coffer_url)))
                if name in limited:
                    runs[("limit", name)].append(wrk(limit_url, scenarios["coffer"][name], args.duration, args.connections, 2))
                if name == "GetSecretValue":
                    # Right after the root run, so both see the same machine.
                    runs[("coffer", "GetSecretValueIAM")].append(
                        wrk(coffer_url, scenarios["coffer"]["GetSecretValueIAM"], args.duration, args.connections, 2))
                runs[("moto", name)].append(wrk(moto_url, scenarios["moto"][name], args.duration, args.connections, 2))
        loaded = {"coffer": rss_kib(coffer.pid), "moto": rss_kib(moto.pid)}
        settled = time.monotonic()
        while audit_backlog(coffer_url)[0] and time.monotonic() - settled < 30:
            time.sleep(0.05)
        settled = time.monotonic() - settled
        hot_versions = {}
        if "PutSecretValueHot" in names:
            for server, url in (("coffer", coffer_url), ("moto", moto_url)):
                sm = boto3.client("secretsmanager", endpoint_url=url, region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=SECRET)
                count, token = 0, None
                while True:
                    page = sm.list_secret_version_ids(SecretId="bench/hot", IncludeDeprecated=True, **({"NextToken": token} if token else {}))
                    count += len(page["Versions"])
                    token = page.get("NextToken")
                    if not token:
                        break
                hot_versions[server] = count
    finally:
        if limit:
            limit.send_signal(signal.SIGTERM)
            limit.wait(timeout=30)
        if baseline:
            baseline.send_signal(signal.SIGTERM)
            baseline.wait(timeout=30)
        coffer.send_signal(signal.SIGTERM)
        moto.send_signal(signal.SIGTERM)
        coffer.wait(timeout=30)
        moto.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)

    def median(server, name, key):
        return statistics.median(r[key] for r in runs[(server, name)])

    print(f"SigV4-signed requests, wrk {args.connections} connections, {args.rounds} alternating rounds of {args.duration}s, medians")
    print(f"{'operation':<15} {'server':<7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8}")
    failed = False
    for name in names:
        for server in ("coffer", "moto"):
            non200 = sum(r["non200"] for r in runs[(server, name)])
            failed |= server == "coffer" and non200 > 0
            print(f"{name:<15} {server:<7} {median(server, name, 'rps'):>9.0f} {median(server, name, 'p50_ms'):>8.2f} "
                  f"{median(server, name, 'p99_ms'):>8.2f} {non200:>8}")
        ratio = median("coffer", name, "rps") / median("moto", name, "rps")
        print(f"{name:<15} ratio   {ratio:>8.1f}x  per round: " + ", ".join(
            f"{c['rps']:.0f}/{m['rps']:.0f}" for c, m in zip(runs[("coffer", name)], runs[("moto", name)]))
            + "; Coffer's p99 per round: " + ", ".join(f"{c['p99_ms']:.2f}" for c in runs[("coffer", name)]))
    if runs[("coffer", "GetSecretValueIAM")]:
        iam = runs[("coffer", "GetSecretValueIAM")]
        non200 = sum(r["non200"] for r in iam)
        failed |= non200 > 0
        # Each IAM run follows its root run directly, so the per-round ratio is the steadier figure.
        shares = [i["rps"] / r["rps"] for i, r in zip(iam, runs[("coffer", "GetSecretValue")])]
        share = statistics.median(shares)
        print(f"{'GetSecretValue':<15} {'IAM':<7} {median('coffer', 'GetSecretValueIAM', 'rps'):>9.0f} "
              f"{median('coffer', 'GetSecretValueIAM', 'p50_ms'):>8.2f} {median('coffer', 'GetSecretValueIAM', 'p99_ms'):>8.2f} {non200:>8}"
              f"   (IAM user, 10 policies + resource policy: median {share * 100:.0f}% of root; per round "
              + ", ".join(f"{x * 100:.0f}%" for x in shares) + ")")
    for name in compared:
        shares = [c["rps"] / b["rps"] for c, b in zip(runs[("coffer", name)], runs[("baseline", name)])]
        print(f"{name:<15} {'base':<7} {median('baseline', name, 'rps'):>9.0f} {median('baseline', name, 'p50_ms'):>8.2f} "
              f"{median('baseline', name, 'p99_ms'):>8.2f}   (--baseline binary, same rounds: this build is at median "
              f"{statistics.median(shares) * 100:.0f}% of it; per round " + ", ".join(f"{x * 100:.0f}%" for x in shares) + ")")
    for name in limited:
        shares = [c["rps"] / n["rps"] for c, n in zip(runs[("coffer", name)], runs[("limit", name)])]
        against_read = ""
        if name != "GetSecretValue" and "GetSecretValue" in limited:
            reads = [c["rps"] / n["rps"] for c, n in zip(runs[("coffer", name)], runs[("limit", "GetSecretValue")])]
            against_read = f"; {statistics.median(reads) * 100:.0f}% of its GetSecretValue"
        print(f"{name:<15} {'nio':<7} {median('limit', name, 'rps'):>9.0f} "
              f"{median('limit', name, 'p50_ms'):>8.2f} {median('limit', name, 'p99_ms'):>8.2f}   "
              f"(bare SwiftNIO, fixed answer of this size: Coffer at median {statistics.median(shares) * 100:.0f}% of it; per round "
              + ", ".join(f"{x * 100:.0f}%" for x in shares) + against_read + ")")
    if unchained:
        worst = max(unchained, key=lambda u: u[2])
        print(f"{'audit chain':<15} unchained after a run: at most {max(u[1] for u in unchained):.0f} records, oldest "
              f"{worst[2] * 1000:.0f} ms ({worst[0]}); all chained {settled * 1000:.0f} ms after the last run")
        failed |= worst[2] > 1 or settled >= 30
    if hot_versions:
        print(f"{'hot versions':<15} coffer {hot_versions['coffer']}   moto {hot_versions['moto']}  (bench/hot after the runs, deprecated included)")
    print(f"{'start ms':<15} coffer {coffer_start:.0f}   moto {moto_start:.0f}" + (f"   nio {limit_start:.0f}" if limit else ""))
    print(f"{'RSS MiB':<15} coffer idle {coffer_idle / 1024:.1f} loaded {loaded['coffer'] / 1024:.1f}   "
          f"moto idle {moto_idle / 1024:.1f} loaded {loaded['moto'] / 1024:.1f}" + (f"   nio idle {limit_idle / 1024:.1f}" if limit else ""))
    # After the runs, so that the copies' starts do not load the machine while it measures.
    idle_states = {"coffer": idle_by_page_cache(args.coffer, lambda port, data: [
        "serve", "--port", str(port), "--data-dir", data, "--log-level", "warning"], "/health", env)}
    if limit:
        idle_states["nio"] = idle_by_page_cache(args.limit, lambda port, _: [str(port)], "/")
    print(f"{'idle by cache':<15} " + "   ".join(f"{server} {figures['written']:.2f} written, {figures['from disk']:.2f} from disk"
                                            for server, figures in idle_states.items())
          + "  (MiB, a copy of each binary: its page cache as a write leaves it, then read back from disk)")
    if failed:
        sys.exit("coffer answered some requests with errors, or its audit chain fell behind the load")


if __name__ == "__main__":
    main()
