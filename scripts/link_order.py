#!/usr/bin/env python3
"""Writes scripts/link-order.txt, the order the release link lays out functions and data in (lld's
--symbol-ordering-file, see Package.swift).

Why: the kernel maps a binary 64 KiB at a time around each page a process touches (fault-around),
and every page of `.data` or `.bss` a process writes is its own. Laid out as the compiler emits
it, the ~1 MB of code a server runs to start and idle is spread over ~240 such windows, about
15 MiB resident; the data it touches is spread the same way over `.data`, `.bss`, `.data.rel.ro`
and the metadata sections. Listed first, in the order below, each sits together.

How, for code: runs a release binary under valgrind's callgrind (which names every function
executed), starts `coffer serve` on an empty data directory, dumps what ran up to the first
answered /health and a moment of idle, then makes the calls the benchmark and a typical client make
(Secrets Manager, Parameter Store, KMS reads and writes) and dumps again at shutdown. The file
lists the start-up functions first, then those the calls added.

How, for data: lld orders whole input sections (one object's `.data`, `.bss`, ... each) by any
symbol they hold, so the file then names one symbol of each data section a start touches. Which
ones: the binary is relinked with the order so far (the link command from SwiftPM's build
manifest, beside the binary), started under `perf` recording page faults up to a moment of idle,
and each faulting address is found in the link map. A fault shows only the first page touched in
a 64 KiB window, so the neighbours hidden behind it surface once the found sections have moved:
several rounds, each adding what the last one uncovered. Sections without a symbol of their own
(merged string literals) cannot be ordered.

Names are mangled symbols; a name the code no longer has is skipped by the linker, so a stale file
costs memory, not correctness. Regenerate after large changes (the build does not watch the file:
remove the binary so that it links again):

    swift build -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections \
        -Xcc -ffunction-sections --product coffer
    python3 scripts/link_order.py .build/release/coffer   # or --data-only: keep the code order
    rm .build/release/coffer && swift build ... (as above)

Within each group the order is callgrind's, which varies from run to run, and so does where the
runtime's large blocks (no function sections in the toolchain's static libraries) fall against the
64 KiB windows: idle memory of builds from different runs differed by up to 0.9 MiB. Measure a
new file against the old (idle resident after start, several alternating starts after
`echo 1 > /proc/sys/vm/drop_caches`) before keeping it.

Needs valgrind and perf (`apt-get install valgrind linux-perf`); the build itself needs neither.
"""
import bisect
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


def code_order(binary):
    """Functions in the order a start, a moment of idle and the common calls first run them."""
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
        return order
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


# Output sections whose input sections the data rounds order.
DATA_SECTIONS = {".data", ".bss", ".data.rel.ro", ".rodata", ".gcc_except_table", "swift5_typeref", "swift5_reflstr",
                 "swift5_fieldmd", "swift5_capture", "swift5_assocty", "swift5_builtin"}


def link_command(binary):
    """The release link's arguments, from the SwiftPM build manifest of the build that made `binary`."""
    for directory in [binary.parent, *binary.parent.parents]:
        manifest = directory / "release.yaml"
        if manifest.exists():
            lines = manifest.read_text().splitlines()
            for index, line in enumerate(lines):
                if line.strip().startswith('"C.coffer-') and line.strip().endswith('-release.exe":'):
                    for follow in lines[index + 1:index + 8]:
                        if follow.strip().startswith("args:"):
                            return json.loads(follow.strip()[len("args:"):])
    raise SystemExit(f"no release.yaml with coffer's link command above {binary}")


def input_sections(map_file):
    """(address, size, output section, symbols) of every input section in an lld map."""
    sections, output, current = [], None, None
    for line in Path(map_file).read_text(errors="replace").splitlines():
        match = re.match(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s(.*)$", line)
        if not match:
            continue
        rest = match.group(3)
        if not rest.startswith(" "):
            output, current = rest.strip(), None
        elif rest.startswith(" " * 16):
            if current is not None:
                current[3].append(rest.strip())
        else:
            current = (int(match.group(1), 16), int(match.group(2), 16), output, [])
            sections.append(current)
    sections.sort(key=lambda section: section[0])
    return sections


def faults(binary, work):
    """Addresses of the page faults of a start and a moment of idle."""
    record = work / "faults.data"
    port = bench.free_port()
    env = dict(os.environ, COFFER_ROOT_ACCESS_KEY_ID=bench.KEY, COFFER_ROOT_SECRET_ACCESS_KEY=bench.SECRET)
    data = work / "fault-data"
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run(["perf", "record", "-q", "-e", "exceptions:page_fault_user", "-o", str(record), "--",
                    "timeout", "-s", "TERM", "2.5", str(binary), "serve", "--port", str(port), "--data-dir", str(data),
                    "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    script = subprocess.run(["perf", "script", "-i", str(record), "-F", "trace"], capture_output=True, text=True).stdout
    return [int(field.split("=", 1)[1], 16) for line in script.splitlines()
            for field in line.split() if field.startswith("address=")]


def data_order(binary, functions, rounds=8):
    """Symbols naming the data sections a start touches, found over `rounds` relinks."""
    if shutil.which("perf") is None:
        raise SystemExit("the data rounds need perf (apt-get install linux-perf)")
    command = link_command(binary)
    work = Path(tempfile.mkdtemp(prefix="coffer-data-order-"))
    found, seen = [], set()
    try:
        for round_number in range(rounds):
            order_file, linked, map_file = work / "order.txt", work / "coffer", work / "coffer.map"
            order_file.write_text("\n".join(functions + found) + "\n")
            arguments = [f"--symbol-ordering-file={order_file}" if argument.startswith("--symbol-ordering-file=") else argument
                         for argument in command]
            arguments[arguments.index("-o") + 1] = str(linked)
            subprocess.run(arguments + ["-Xlinker", f"-Map={map_file}", "-Xlinker", "--no-demangle"], cwd=REPO, check=True)
            sections = input_sections(map_file)
            starts = [section[0] for section in sections]
            # Only a name one section holds moves that section alone.
            counts = {}
            for section in sections:
                for name in section[3]:
                    counts[name] = counts.get(name, 0) + 1
            added = 0
            for address in faults(linked, work):
                index = bisect.bisect_right(starts, address) - 1
                if index < 0:
                    continue
                start, size, output, names = sections[index]
                if output not in DATA_SECTIONS or not start <= address < start + max(size, 1):
                    continue
                unique = [name for name in names if counts[name] == 1]
                if unique and not any(name in seen for name in unique):
                    seen.add(unique[0])
                    found.append(unique[0])
                    added += 1
            print(f"data round {round_number + 1}: {added} sections added, {len(found)} in all")
        return found
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Between the two parts of the file (lld skips lines that start with `#`).
DATA_MARKER = "# data: one symbol of each data section a start touches"


def main():
    arguments = [argument for argument in sys.argv[1:] if argument != "--data-only"]
    given = Path(arguments[0] if arguments else REPO / ".build/release/coffer")
    output = Path(arguments[1] if len(arguments) > 1 else REPO / "scripts/link-order.txt")
    if "--data-only" in sys.argv:
        # The code order varies from run to run more than the data order does: keep one that measured well.
        functions = output.read_text().split(DATA_MARKER)[0].split()
    else:
        functions = code_order(given.resolve())
    data = data_order(given.absolute(), functions)
    output.write_text("\n".join(functions + [DATA_MARKER] + data) + "\n")
    print(f"{output}: {len(functions)} functions, {len(data)} data sections")


if __name__ == "__main__":
    main()
