#!/usr/bin/env python3
"""Scores coffer scan on a corpus made by generate.py: precision and recall over (path, line).

    python3 bench/scan_corpus/score.py OUT_DIR [--coffer PATH] [--json]
"""
import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def findings(coffer, args):
    done = subprocess.run([coffer, "scan", "--no-progress", "--format", "json", *args], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"coffer scan failed: {done.stderr}")
    return json.loads(done.stdout)["findings"]


def score(out: Path, coffer: str):
    labels = json.loads((out / "labels.json").read_text())
    truth = {(l["where"], l["path"], l["line"]): l["kind"] for l in labels}
    found = {}
    for f in findings(coffer, [str(out / "tree")]):
        found[("tree", str(Path(f["path"]).relative_to(out / "tree")), f["line"])] = f["ruleId"]
    for f in findings(coffer, ["--git", str(out / "history")]):
        found[("history", f["path"], f["line"])] = f["ruleId"]
    tp = [k for k in found if k in truth]
    fp = [k for k in found if k not in truth]
    fn = [k for k in truth if k not in found]
    precision = len(tp) / max(1, len(found))
    recall = len(tp) / max(1, len(truth))
    return {"precision": precision, "recall": recall, "truePositives": len(tp), "falsePositives": sorted(fp),
            "missed": sorted(fn), "missedByKind": dict(Counter(truth[k] for k in fn)), "labels": len(truth)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--coffer", default=str(REPO / ".build" / "release" / "coffer"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = score(Path(args.out), args.coffer)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"precision {result['precision']:.3f}, recall {result['recall']:.3f} over {result['labels']} true secrets; "
              f"false positives {len(result['falsePositives'])}, missed {len(result['missed'])} {result['missedByKind']}")
        for item in result["falsePositives"][:20]:
            print("  false positive:", item)
        for item in result["missed"][:20]:
            print("  missed:", item)


if __name__ == "__main__":
    main()
