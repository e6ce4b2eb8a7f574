"""Benchmark: where forked workers start to pay, for each per-file job (the thresholds in
``jyoti_doctor/imports/parallel.py`` come from this).

Run on demand (not part of the test suite):

    python bench/parallel.py [--runs 5] [--sizes 50,100,200,300,400,885]

For the first N files of Django 5.2's ``django/`` (bench/.corpus), it times each job in this
process alone and with two forked workers, alternating, and prints medians and the ratio. The
results of both ways are compared: they must be equal.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from corpus import django_package

from jyoti_doctor.config import Settings
from jyoti_doctor.imports.fix import FixOptions, fix_file
from jyoti_doctor.imports.parallel import map_files
from jyoti_doctor.imports.run import ImportSettings, targets
from jyoti_doctor.imports.scan import ScanOptions
from jyoti_doctor.imports.scanner import scan_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="50,100,200,300,400,885")
    args = parser.parse_args()
    package = django_package()
    os.chdir(package.parent)
    roots, discovery = targets(ImportSettings.build([Path(package.name)], Settings()))
    frozen = tuple(roots)
    jobs: dict[str, Callable[[Path], object]] = {
        "scan": functools.partial(scan_file, roots=frozen, options=ScanOptions()),
        "scan --check-syntax": functools.partial(
            scan_file, roots=frozen, options=ScanOptions(check_syntax=True)
        ),
        "fix": functools.partial(fix_file, roots=frozen, options=FixOptions()),
        "fix --check-syntax": functools.partial(
            fix_file, roots=frozen, options=FixOptions(check_syntax=True)
        ),
    }
    print(f"load average: {os.getloadavg()}")
    print(f"{'job':22} {'files':>6} {'one process':>12} {'2 workers':>10} {'ratio':>6}")
    for name, one in jobs.items():
        map_files(one, discovery.files[:50], threshold=1 << 30)  # warm: lazy imports, caches
        for size in (int(s) for s in args.sizes.split(",")):
            files = discovery.files[:size]
            alone: list[float] = []
            forked: list[float] = []
            for _ in range(args.runs):
                start = time.perf_counter()
                serial = map_files(one, files, threshold=1 << 30)
                middle = time.perf_counter()
                parallel = map_files(one, files, jobs=2, threshold=0)
                alone.append(middle - start)
                forked.append(time.perf_counter() - middle)
                assert [repr(r) for r in serial] == [repr(r) for r in parallel], name
            a, f = statistics.median(alone), statistics.median(forked)
            print(f"{name:22} {len(files):6} {a:12.3f} {f:10.3f} {f / a:6.2f}")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
