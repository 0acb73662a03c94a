"""lunalint's own code, the reference egress client included, passes lunalint with zero findings."""

from __future__ import annotations

import tokenize
from pathlib import Path

from lunalint.config import Settings
from lunalint.engine import check_paths

ROOT = Path(__file__).resolve().parents[2]


def test_lunalint_checks_its_own_package_clean() -> None:
    report = check_paths([ROOT / "lint"], Settings(root=ROOT))
    assert report.errors == []
    assert report.violations == []
    assert report.files_checked > 20


def test_no_suppression_comments_in_the_package() -> None:
    offenders = []
    for path in (ROOT / "lint" / "lunalint").rglob("*.py"):
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                text = token.string.lower()
                if token.type == tokenize.COMMENT and ("lunalint: ignore" in text or "noqa: ll" in text
                                                       or text.strip() in ("# noqa", "#noqa")):
                    offenders.append(f"{path}:{token.start[0]}")
    assert offenders == []
