"""Instructions per GetSecretValue, counted by callgrind: repeatable on this noisy machine, unlike time.

    python3 bench/callgrind_read.py BINARY [BINARY ...] [--reads 2000] [--iam-user] [--durable] [--operation GetParameter]

Each binary runs `coffer serve --dev` under `valgrind --tool=callgrind --instr-atstart=no`; after 400
warm-up reads over four keep-alive connections, instrumentation is switched on, the counters zeroed,
`--reads` more are made and the totals dumped. Every thread counts (the audit writer's chaining and
SQLite included). valgrind 3.19 refuses the DWARF of Coffer's release build, so a copy with its debug
sections removed (`objcopy --strip-debug`) runs; it executes the same code. `--durable` serves from the SQLite file (root credentials, not --dev's memory store): the count then
includes staging each record and chaining it into the database. `--iam-user` reads as
bench.py's IAM user (ten attached managed policies, a resource policy on the secret), so every read is
evaluated against them, instead of as the account's root.
"""
import argparse
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the IAM scenario is bench.py's)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(binary, reads, keep=None, iam_user=False, operation="GetSecretValue", durable=False):
    work = tempfile.mkdtemp(prefix="cg-")
    stripped = os.path.join(work, "coffer")
    subprocess.run(["objcopy", "--strip-debug", binary, stripped], check=True)
    port = free_port()
    out = os.path.join(work, "callgrind.out")
    access_key, secret_key = (bench.KEY, bench.SECRET) if durable else ("AKIAEXAMPLE", "secret")
    # Without --dev the store is the SQLite file and the audit trail is staged and chained into it, as served.
    server = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                               stripped, "serve", *([] if durable else ["--dev"]), "--port", str(port), "--account-id", "111111111111",
                               "--data-dir", os.path.join(work, "data")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=access_key, COFFER_ROOT_SECRET_ACCESS_KEY=secret_key))
    try:
        endpoint = f"http://127.0.0.1:{port}"
        clients = [boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access_key,
                                aws_secret_access_key=secret_key, config=Config(retries={"max_attempts": 0}, read_timeout=120))
                   for _ in range(4)]
        for _ in range(600):
            try:
                clients[0].create_secret(Name="bench/read", SecretString="x" * 200)
                break
            except Exception:
                time.sleep(0.2)
        if iam_user:
            def client(service):
                return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access_key,
                                    aws_secret_access_key=secret_key, config=Config(retries={"max_attempts": 0}, read_timeout=120))
            clients[0].create_secret(Name="bench/secret", SecretString=bench.VALUE)
            _, _, _, key, secret = bench.iam_scenario(client, clients[0])
            clients = [boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                                    aws_secret_access_key=secret, config=Config(retries={"max_attempts": 0}, read_timeout=120))
                       for _ in range(4)]
        secret_id = "bench/secret" if iam_user else "bench/read"

        def other(service):
            return [boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access_key,
                                 aws_secret_access_key=secret_key, config=Config(retries={"max_attempts": 0}, read_timeout=120))
                    for _ in range(4)]

        if operation == "GetParameter":
            clients = other("ssm")
            clients[0].put_parameter(Name="/bench/read", Value="x" * 200, Type="SecureString")

            def call(client):
                client.get_parameter(Name="/bench/read", WithDecryption=True)
        elif operation == "Encrypt":
            clients = other("kms")
            key_id = clients[0].create_key()["KeyMetadata"]["KeyId"]
            plaintext = b"x" * 1024

            def call(client):
                client.encrypt(KeyId=key_id, Plaintext=plaintext)
        else:
            def call(client):
                client.get_secret_value(SecretId=secret_id)

        def run(total):
            def worker(client, count):
                for _ in range(count):
                    call(client)
            threads = [threading.Thread(target=worker, args=(c, total // 4)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        run(400)
        pid = str(server.pid)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["callgrind_control", "-z", pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run(reads)
        # The last reads' records are chained within 25 ms of being staged: counted with the rest.
        time.sleep(1 if durable else 0)
        before = set(glob.glob(out + "*"))
        subprocess.run(["callgrind_control", "-d", pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            new = set(glob.glob(out + "*")) - before
            if new:
                break
            time.sleep(0.2)
        time.sleep(1)
        total = 0
        dump = new.pop()
        if keep:
            shutil.copy(dump, keep)
        with open(dump) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = int(line.split()[1])
        return total / reads
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--keep", help="copy the last binary's dump here, for callgrind_annotate")
    parser.add_argument("--iam-user", action="store_true", help="read as an IAM user with ten policies and a resource policy")
    parser.add_argument("--operation", choices=["GetSecretValue", "GetParameter", "Encrypt"], default="GetSecretValue")
    parser.add_argument("--durable", action="store_true", help="serve from the SQLite file with root credentials instead of --dev's "
                        "memory store, so the count includes staging and chaining the audit records into the database")
    args = parser.parse_args()
    if args.iam_user and args.operation != "GetSecretValue":
        parser.error("--iam-user reads GetSecretValue only")
    for binary in args.binaries:
        print(f"{binary}: {measure(binary, args.reads, args.keep, args.iam_user, args.operation, args.durable):,.0f} instructions a {args.operation}"
              f"{' as an IAM user' if args.iam_user else ''}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
