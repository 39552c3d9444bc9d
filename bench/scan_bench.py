#!/usr/bin/env python3
"""coffer scan's speed beside detect-secrets, in one run on this machine.

The tree: the sources of swift-nio, swift-crypto (with its vendored BoringSSL), swift-nio-ssl,
postgres-nio and swift-syntax, extracted with `git archive` from the local package mirror
(about 75 MiB of C, C++, Swift, assembly, Markdown and scripts), once. Both scanners read the same
files from the page cache (a first warm-up pass), pinned to one core with taskset; the reported
figure is MiB of files per second of CPU time (user + sys) of the scanner process, medians over
rounds. detect-secrets (from PyPI) runs on a sample of the tree, since it is some hundred times
slower; its rate is per MiB of the sample.

History: the same measure for `coffer scan --git` over swift-crypto's repository (every blob of
every ref, once: about 50 MiB of distinct blobs), per MiB of distinct blobs scanned, git's own CPU
(inflating and resolving deltas) included.

Usage: python3 bench/scan_bench.py [--coffer PATH] [--rounds N]
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRROR = Path("/opt/swift-packages")
PACKAGES = [("apple/swift-nio", "2.101.2"), ("apple/swift-crypto", "4.5.2"), ("apple/swift-nio-ssl", "2.37.6"),
            ("vapor/postgres-nio", "1.33.2"), ("swiftlang/swift-syntax", "602.0.0")]


def tree(root: Path) -> Path:
    if root.exists():
        return root
    root.mkdir(parents=True)
    for name, tag in PACKAGES:
        target = root / name.replace("/", "_")
        target.mkdir()
        archive = subprocess.run(["git", "-C", str(MIRROR / f"{name}.git"), "archive", "--format=tar", tag], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return root


def size_of(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def cpu_seconds(cmd, **kwargs):
    """Runs cmd pinned to CPU 0 and returns (user+sys seconds of the child, wall seconds, completed process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(["taskset", "-c", "0", *cmd], capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, done


def detect_secrets_available():
    return shutil.which("detect-secrets") is not None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--coffer", default=str(REPO / ".build" / "release" / "coffer"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "coffer-scan-bench"))
    parser.add_argument("--sample-mib", type=float, default=4.0, help="how much of the tree detect-secrets scans")
    args = parser.parse_args()
    work = Path(args.work)
    root = tree(work / "tree")
    total = size_of(root)
    print(f"tree: {total / 2**20:.1f} MiB in {sum(1 for p in root.rglob('*') if p.is_file())} files")
    cpu_seconds([args.coffer, "scan", "--no-progress", str(root)])  # warm the page cache
    coffer = []
    for _ in range(args.rounds):
        cpu, wall, done = cpu_seconds([args.coffer, "scan", "--no-progress", "--format", "json", str(root)])
        assert done.returncode in (0, 1), done.stderr
        coffer.append((total / 2**20) / cpu)
    found = len(json.loads(done.stdout)["findings"])
    print(f"coffer scan: median {statistics.median(coffer):.1f} MiB/s per core (CPU time), rounds {[round(x, 1) for x in coffer]}; "
          f"{found} findings")

    # detect-secrets on a sample of the same files.
    if not detect_secrets_available():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "detect-secrets"], check=True)
    sample = work / "sample"
    if sample.exists():
        shutil.rmtree(sample)
    sample.mkdir()
    taken = 0
    for path in sorted(root.rglob("*")):
        if taken >= args.sample_mib * 2**20:
            break
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 1 << 20:
            target = sample / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            taken += path.stat().st_size
    sample_mib = size_of(sample) / 2**20
    ds = []
    for _ in range(max(1, args.rounds - 1)):
        cpu, wall, done = cpu_seconds(["detect-secrets", "scan", "--all-files", str(sample)], cwd=str(sample))
        ds.append(sample_mib / cpu)
    cpu, wall, done = cpu_seconds([args.coffer, "scan", "--no-progress", str(sample)])
    coffer_sample = sample_mib / cpu
    print(f"detect-secrets: median {statistics.median(ds):.3f} MiB/s per core on a {sample_mib:.1f} MiB sample "
          f"(coffer on the same sample: {coffer_sample:.1f} MiB/s per core)")
    print(f"ratio coffer/detect-secrets: {statistics.median(coffer) / statistics.median(ds):.0f}x on the tree, "
          f"{coffer_sample / statistics.median(ds):.0f}x on the sample")

    # History: swift-crypto's repository.
    clone = work / "swift-crypto.git"
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", "--bare", str(MIRROR / "apple/swift-crypto.git"), str(clone)], check=True)
    blobs = subprocess.run(["git", "-C", str(clone), "rev-list", "--objects", "--all", "--filter=object:type=blob", "--filter-provided-objects"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    oids = sorted({line.split(" ")[0] for line in blobs if line})
    sizes = subprocess.run(["git", "-C", str(clone), "cat-file", "--batch-check=%(objectsize)"], input="\n".join(oids) + "\n",
                           capture_output=True, text=True, check=True).stdout.split()
    history_mib = sum(int(s) for s in sizes if s.isdigit()) / 2**20
    history = []
    for _ in range(args.rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(["taskset", "-c", "0", args.coffer, "scan", "--no-progress", "--git", str(clone), "--format", "json"],
                              capture_output=True, text=True)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        history.append((history_mib / cpu, history_mib / wall))
    print(f"coffer scan --git (swift-crypto, {len(oids)} distinct blobs, {history_mib:.1f} MiB): median "
          f"{statistics.median(h[0] for h in history):.1f} MiB/s per core of CPU (coffer and git together), "
          f"{statistics.median(h[1] for h in history):.1f} MiB/s wall")


if __name__ == "__main__":
    main()
