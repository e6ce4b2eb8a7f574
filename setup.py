"""Build hook: the wheel carries docs/*.md as jyoti_doctor/_docs, so the SARIF format can embed
each rule's documentation; every other setting lives in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithDocs(build_py):
    def run(self) -> None:
        super().run()
        docs = Path(__file__).resolve().parent / "docs"
        if not docs.is_dir():
            raise SystemExit("docs/ is missing: the rule documentation must ship with the wheel")
        target = Path(self.build_lib) / "jyoti_doctor" / "_docs"
        target.mkdir(parents=True, exist_ok=True)
        for page in sorted(docs.glob("*.md")):
            shutil.copyfile(page, target / page.name)


setup(cmdclass={"build_py": BuildPyWithDocs})
