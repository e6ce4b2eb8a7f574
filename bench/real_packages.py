"""Real code: rewrite real packages with ``fix-imports --write`` and run their own test suites.

Usage: python bench/real_packages.py [NAME ...]   (default: toolz and networkx)

For each package: download its sdist (bench/.corpus/real, once), unpack it into a temporary
directory, run its test suite unmodified, rewrite the package (not its tests) with
``jyoti-doctor fix-imports --write``, run the same suite again. The pass / fail / error / skip
counts must be equal. Slow (minutes); not part of the test suite. Needs pytest in this Python.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from corpus import CORPUS as BASE
from corpus import sdist

CORPUS = BASE / "real"


@dataclass(frozen=True)
class Package:
    spec: str  # what pip downloads
    package: str  # the import package to rewrite
    tests: str  # the test directory, relative to the sdist root


PACKAGES = {
    "toolz": Package("toolz==1.2.0", "toolz", "toolz/tests"),
    "networkx": Package("networkx==3.6.1", "networkx", "networkx"),
}


def fetch(pkg: Package) -> Path:
    return sdist(pkg.spec, CORPUS)


def run_tests(root: Path, pkg: Package, label: str) -> dict[str, int]:
    report = root / f"junit-{label}.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            pkg.tests,
        ],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        if "failure" in kinds:
            counts["failed"] += 1
        elif "error" in kinds:
            counts["errors"] += 1
        elif "skipped" in kinds:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts


def rewrite(root: Path, pkg: Package) -> dict[str, object]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jyoti_doctor",
            "fix-imports",
            pkg.package,
            "--write",
            "--extend-exclude",
            "tests/",
            "--format",
            "json",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    doc = json.loads(proc.stdout)
    internal = [f for f in doc["findings"] if f["code"] in ("JD199", "JD190")]
    return {"exit": proc.returncode, **doc["summary"], "internal_or_unparsable": len(internal)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "packages",
        nargs="*",
        choices=[*PACKAGES, []],
        metavar="NAME",
        help=f"one of {', '.join(PACKAGES)} (default: all)",
    )
    names = parser.parse_args(argv).packages or list(PACKAGES)
    ok = True
    for name in names:
        pkg = PACKAGES[name]
        archive = fetch(pkg)
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
            root = next(Path(tmp).iterdir())
            before = run_tests(root, pkg, "before")
            summary = rewrite(root, pkg)
            after = run_tests(root, pkg, "after")
        same = before == after
        ok &= same
        print(f"{pkg.spec}: before {before}")
        print(f"{pkg.spec}: rewrite {summary}")
        print(f"{pkg.spec}: after  {after}  -> {'EQUAL' if same else 'DIFFERENT'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
