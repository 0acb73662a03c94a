"""ARCHITECTURE.md's module map lists exactly the package's modules."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lint" / "lunalint"


def test_the_module_map_matches_the_files() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Module map", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+(?:\.py|/))` \|", section, flags=re.MULTILINE))
    modules = {path.name for path in PACKAGE.glob("*.py") if not path.name.startswith("_")}
    packages = {f"{path.name}/" for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert listed == modules | packages


def test_each_stage_module_says_what_goes_in_and_comes_out() -> None:
    import importlib

    for stage in ("discover", "prefilter", "parse", "extract", "judge", "place"):
        module = importlib.import_module(f"lunalint.{stage}")
        doc = module.__doc__ or ""
        assert doc.startswith(f"Stage "), stage
        assert "In:" in doc and "Out:" in doc, stage
        public = [name for name in module.__all__ if name[0].islower()]
        assert public == [stage], (stage, public)  # one public function, named after the stage
