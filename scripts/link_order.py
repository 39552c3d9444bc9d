#!/usr/bin/env python3
"""Writes scripts/link-order.txt, the order the release link lays out functions in (lld's
--symbol-ordering-file, see Package.swift).

Why: the kernel maps a binary's code 64 KiB at a time around each page a process touches
(fault-around). Laid out as the compiler emits it, the ~1 MB of code a server runs to start and
idle is spread over ~240 such windows, about 15 MiB resident. Listed first, in the order below,
it sits together.

How: runs a release binary under valgrind's callgrind (which names every function executed),
starts `coffer serve` on an empty data directory, dumps what ran up to the first answered
/health and a moment of idle, then makes the calls the benchmark and a typical client make
(Secrets Manager, Parameter Store, KMS reads and writes) and dumps again at shutdown. The file
lists the start-up functions first, then those the calls added. Names are mangled symbols;
a name the code no longer has is skipped by the linker, so a stale file costs memory, not
correctness. Regenerate after large changes (the build does not watch the file: remove the binary
so that it links again):

    swift build -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections \
        -Xcc -ffunction-sections --product coffer
    python3 scripts/link_order.py .build/release/coffer
    rm .build/release/coffer && swift build ... (as above)

Within each group the order is callgrind's, which varies from run to run, and so does where the
runtime's large blocks (no function sections in the toolchain's static libraries) fall against the
64 KiB windows: idle memory of builds from different runs differed by up to 0.9 MiB. Measure a
new file against the old (idle resident after start, several alternating starts) before keeping it.

Needs valgrind (`apt-get install valgrind`); the build itself does not.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import bench  # noqa: E402  (signed-request helpers and the benchmark's seed data)


def executed(dump, names):
    """Function names in one callgrind dump, in the order the dump first names them."""
    table, out, seen = {}, [], set()
    for line in Path(dump).read_text(errors="replace").splitlines():
        # A name is defined where it first appears, as a function or as a callee.
        if not line.startswith(("fn=", "cfn=")):
            continue
        token = line.split("=", 1)[1].strip()
        match = re.match(r"\((\d+)\)(?: (.*))?", token)
        if match:
            if match.group(2):
                table[match.group(1)] = match.group(2)
            token = table.get(match.group(1), token)
        token = re.sub(r"'\d+$", "", token)
        if line.startswith("fn=") and token in names and token not in seen:
            seen.add(token)
            out.append(token)
    return out


def calls(endpoint):
    """What clients do most: the benchmark's reads and writes, and the calls around them."""
    import boto3
    clients = {name: boto3.client(name, endpoint_url=endpoint, region_name=bench.REGION,
                                  aws_access_key_id=bench.KEY, aws_secret_access_key=bench.SECRET)
               for name in ("secretsmanager", "ssm", "kms")}
    scenarios = bench.seed(endpoint)
    key_id = json.loads(scenarios["Encrypt1KiB"][2])["KeyId"]
    sm, ssm, kms = clients["secretsmanager"], clients["ssm"], clients["kms"]
    for _ in range(3):
        sm.get_secret_value(SecretId="bench/secret")
        sm.put_secret_value(SecretId="bench/hot", SecretString="x" * 64)
        sm.describe_secret(SecretId="bench/secret")
        sm.batch_get_secret_value(SecretIdList=["bench/secret", "bench/hot"])
        sm.list_secrets(MaxResults=10)
        ssm.get_parameter(Name="/bench/secure", WithDecryption=True)
        ssm.put_parameter(Name="/bench/plain", Value="v", Type="String", Overwrite=True)
        ssm.get_parameters_by_path(Path="/bench", Recursive=True, WithDecryption=True)
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"x" * 1024)["CiphertextBlob"]
        kms.decrypt(CiphertextBlob=blob)
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
        kms.describe_key(KeyId=key_id)


def main():
    binary = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / ".build/release/coffer").resolve()
    output = Path(sys.argv[2] if len(sys.argv) > 2 else REPO / "scripts/link-order.txt")
    names = set()
    for line in subprocess.run(["nm", "--defined-only", str(binary)], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            names.add(parts[2])
    work = Path(tempfile.mkdtemp(prefix="coffer-link-order-"))
    server = None
    try:
        # valgrind 3.19 cannot read the DWARF 5 the toolchain writes; the symbol table is enough.
        stripped = work / "coffer"
        subprocess.run(["strip", "--strip-debug", "-o", str(stripped), str(binary)], check=True)
        port = bench.free_port()
        endpoint = f"http://127.0.0.1:{port}"
        env = dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=bench.KEY, COFFER_ROOT_SECRET_ACCESS_KEY=bench.SECRET)
        dump = work / "callgrind.out"
        server = subprocess.Popen(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={dump}",
                                   str(stripped), "serve", "--port", str(port), "--data-dir", str(work / "data"),
                                   "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(endpoint + "/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("coffer serve did not answer /health under valgrind")
                time.sleep(0.2)
        time.sleep(2)
        subprocess.run(["callgrind_control", "--dump", str(server.pid)], check=True, stdout=subprocess.DEVNULL)
        calls(endpoint)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=300)
        dumps = sorted(work.glob("callgrind.out*"), key=lambda p: (len(p.name), p.name))
        order, seen = [], set()
        for path in dumps[1:] + dumps[:1]:  # numbered dumps in order; the unnumbered final one last
            found = executed(path, names)
            print(f"{path.name}: {len(found)} functions")
            for name in found:
                if name not in seen:
                    seen.add(name)
                    order.append(name)
        output.write_text("\n".join(order) + "\n")
        print(f"{output}: {len(order)} functions")
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
