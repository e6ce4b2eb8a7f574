"""Summarise fuzz logs: ``python tests/fuzz/summarize.py runs.jsonl [more.jsonl …]``.

Prints, per command, the number of runs and the slowest and largest, then every distinct
failure (temporary paths and numbers folded together) with how often it occurred and the
first command line and files that showed it.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from typing import Any


def signature(problem: str) -> str:
    problem = re.sub(r"[^\s'\"]*/jd-fuzz-[^/\s'\"]+", "TMP", problem)
    problem = re.sub(r"'[^']{10}' of a planted secret", "PIECE of a planted secret", problem)
    return re.sub(r"\d+(\.\d+)?", "N", problem)[:240]


def main(paths: list[str]) -> None:
    runs: dict[str, int] = defaultdict(int)
    slowest: dict[str, float] = defaultdict(float)
    largest: dict[str, int] = defaultdict(int)
    failures: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                command = record["command"]
                runs[command] += 1
                slowest[command] = max(slowest[command], record["seconds"])
                largest[command] = max(largest[command], record["maxrss_kb"])
                for problem in record["problems"]:
                    failures[(command, signature(problem))].append(record)
    print(f"{'command':<22} {'runs':>6} {'max s':>7} {'max RSS MB':>10}")
    for command in sorted(runs):
        print(
            f"{command:<22} {runs[command]:>6} {slowest[command]:>7.2f} "
            f"{largest[command] / 1024:>10.1f}"
        )
    print(f"\n{len(failures)} distinct failures")
    for (command, sig), records in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        first = min(records, key=lambda r: len(json.dumps(r["files"])) + len(r["repro"]))
        print(f"\n[{command}] x{len(records)}: {sig}")
        print(f"  repro: {first['repro']}")
        print(f"  files: {first['files']}")
        print(f"  stderr: {(first['stderr_tail'] or '').strip()[-400:]}")


if __name__ == "__main__":
    main(sys.argv[1:])
