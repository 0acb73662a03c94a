"""The sources ``streaming-scope = "all"`` is compared on, and the findings of lunalint on them.

``tests/engine/data/scope_all_baseline.json`` holds the findings of lunalint as it was before the
streaming scope existed (every rule, each source's own policy options), on: the test corpus,
every rule's VALID and INVALID example, and the client files of the benchmark's generated app
(``bench/corpus.py``, 1,000 files, seed 7, as in the benchmark). To make it again with the code
of another commit (run from the repository root):

    PYTHONPATH=tests python -m support.scope_baseline dump sources.json       # this checkout
    PYTHONPATH=tests OTHER/.venv/bin/python -m support.scope_baseline judge sources.json baseline.json

``judge`` uses only what every version has (``check_source``, ``Settings``, ``Policy``), and sets
``streaming_scope = "all"`` only where the policy knows it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "tests" / "engine" / "data" / "scope_all_baseline.json"
APP_FILES = 1000  # the benchmark corpus's app (bench/corpus.py ``build``)
APP_SEED = 7
CLIENT_MODULES = ("httpx", "aiohttp", "requests", "urllib3", "openai", "anthropic")

Sources = dict[str, tuple[str, dict[str, Any]]]
Findings = dict[str, list[list[Any]]]


def sources() -> Sources:
    """Every source the comparison runs on: name -> (code, policy options without the scope)."""
    from lunalint.rules import all_rules

    found: Sources = {}
    for path in sorted((ROOT / "tests" / "corpus").rglob("*.py")):
        found[f"corpus/{path.relative_to(ROOT / 'tests' / 'corpus').as_posix()}"] = (path.read_text("utf-8"), {})
    for rule in all_rules():
        for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID)):
            for index, example in enumerate(examples):
                options = {key: value for key, value in example.options.items() if key != "streaming_scope"}
                found[f"rules/{rule.code}-{kind}-{index}"] = (example.code, options)
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    with tempfile.TemporaryDirectory() as directory:
        app = Path(directory)
        bench.generate_app(app, APP_FILES, seed=APP_SEED)
        for path in sorted(app.rglob("*.py")):
            text = path.read_text("utf-8")
            if any(module in text for module in CLIENT_MODULES):
                found[f"app/{path.relative_to(app).as_posix()}"] = (text, {})
    return found


def judge(every: Sources, *, scope: str | None) -> Findings:
    """``[line, column, code, message]`` of each source's findings, every rule selected."""
    from lunalint.config import Policy, Settings
    from lunalint.engine import check_source
    from lunalint.rules import RULES

    fields = {field.name for field in dataclasses.fields(Policy)}
    codes = tuple(rule.code for rule in RULES if rule.code != "LL902")
    findings: Findings = {}
    for name, (code, options) in every.items():
        policy = {**options, **({"streaming_scope": scope} if scope and "streaming_scope" in fields else {})}
        result = check_source(code, "example.py", Settings(policy=Policy(**policy), select=codes))
        assert not result.errors, (name, result.errors)
        findings[name] = [[v.line, v.column, v.code, v.message] for v in result.violations]
    return findings


def main(argv: list[str]) -> int:
    if argv[:1] == ["dump"] and len(argv) == 2:
        Path(argv[1]).write_text(json.dumps(sources(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return 0
    if argv[:1] == ["judge"] and len(argv) == 3:
        every = {name: (code, options) for name, (code, options) in json.loads(Path(argv[1]).read_text()).items()}
        Path(argv[2]).write_text(json.dumps(judge(every, scope="all"), indent=1, sort_keys=True) + "\n",
                                 encoding="utf-8")
        return 0
    print("usage: python -m support.scope_baseline dump SOURCES | judge SOURCES OUT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
