"""Source distributions the benchmarks run on, fetched once from the package registry into
bench/.corpus (git-ignored)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / ".corpus"


def sdist(spec: str, into: Path = CORPUS) -> Path:
    """The source distribution of ``spec`` (``name==version``), downloaded if not there yet."""
    name, _, version = spec.partition("==")
    # "5.2.*" names a release series: the glob takes its prefix.
    pattern = f"[{name[0].upper()}{name[0].lower()}]{name[1:]}-{version.removesuffix('*')}*.tar.gz"
    found = sorted(into.glob(pattern))
    if not found:
        into.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                spec,
                "-d",
                str(into),
            ],
            check=True,
        )
        found = sorted(into.glob(pattern))
    return found[-1]


def django_package() -> Path:
    """The ``django/`` package directory of Django 5.2's source distribution."""
    target = CORPUS / "django-5.2"
    if not (target / "django" / "__init__.py").exists():
        archive = sdist("django==5.2.*")
        with tarfile.open(archive) as tar:
            top = tar.getnames()[0].split("/")[0]
            members = [m for m in tar.getmembers() if m.name.startswith(f"{top}/django/")]
            tar.extractall(CORPUS, members=members, filter="data")
        (CORPUS / top).rename(target)
    return target / "django"
