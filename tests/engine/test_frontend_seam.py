"""The language seam: a toy frontend's ClientSpecs go through the real rules, placement, report
formats, cache and worker pool unchanged."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from lunalint.config import Settings
from lunalint.engine import check_paths
from lunalint.formats import render
from lunalint.frontend import Analysis, SourceError, register, unregister
from lunalint.report import Report
from lunalint.spec import Anchor, ClientSpec, Evidence, EvidenceKind, Keepalive, KeepaliveState, Setting, Span, State
from lunalint.suppress import Suppressions, parse_suppressions
from lunalint.workers import PARALLEL_THRESHOLD

# One client per line: ``client read=60 connect=none idle=90 keepalive=30  # comment``; ``-`` for a
# setting left to the toy library's default (no limit at all).
LINE = re.compile(r"^client(?P<settings>(?:\s+\w+=\S+)*)")
SETTING = re.compile(r"(\w+)=(\S+)")


class ToySource:
    def __init__(self, suppressions: Suppressions) -> None:
        self.suppressions = suppressions

    def locate(self, anchors: Iterable[Anchor]) -> Mapping[Anchor, Span]:
        return {anchor: anchor for anchor in anchors if isinstance(anchor, Span)}

    def statement_start(self, line: int) -> int:
        return line


class ToyFrontend:
    """Positions are known while reading, so anchors are ``Span``s."""

    def analyse(self, data: bytes, path: str) -> Analysis | None:
        text = data.decode("utf-8")
        if "client" not in text:
            return None
        specs = list(self._specs(text))
        return Analysis(specs, ToySource(parse_suppressions(text)))

    def suppressions(self, data: bytes) -> Suppressions:
        return parse_suppressions(data.decode("utf-8"))

    def _specs(self, text: str) -> Iterator[ClientSpec]:
        for number, line in enumerate(text.splitlines(), start=1):
            match = LINE.match(line)
            if match is None:
                if line.strip() and not line.startswith("#"):
                    raise SourceError(f"line {number}: expected 'client ...'")
                continue
            values = dict(SETTING.findall(match.group("settings")))
            whole = Span(number, 1, number, len(line.split("#")[0].rstrip()) + 1)

            def setting(name: str) -> Setting:
                raw = values.get(name)
                if raw is None:
                    return Setting(State.DISABLED, whole, explicit=False, note="toy default")
                start = line.index(f"{name}=") + 1
                span = Span(number, start, number, start + len(name) + 1 + len(raw))
                if raw == "none":
                    return Setting(State.DISABLED, span, raw="none")
                return Setting(State.SECONDS, span, seconds=float(raw))

            idle = setting("keepalive")
            keepalive = (Keepalive(KeepaliveState.OFF, whole, explicit=False, note="toy default")
                         if "keepalive" not in values else Keepalive(KeepaliveState.ON, idle.anchor, idle=idle))
            # The toy library is an LLM SDK: its evidence reaches the rules as data, like Python's.
            yield ClientSpec(library="toy", label="toy.Client", anchor=whole, pool_idle=setting("idle"),
                             keepalive=keepalive, read_timeout=setting("read"),
                             connect_timeout=setting("connect"),
                             evidence=(Evidence(EvidenceKind.SDK, "`toy.Client`", whole),))


GOOD = "client read=600 connect=10 idle=60 keepalive=30\n"
BAD = "# a toy file\nclient read=60 connect=none idle=90 keepalive=30\nclient read=600 connect=10 idle=none keepalive=30\n"


@pytest.fixture(autouse=True)
def toy_language() -> Iterator[None]:
    register(".toy", ToyFrontend())
    yield
    unregister(".toy")


def _tree(root: Path, copies: int = 1) -> Path:
    source = root / "src"
    source.mkdir()
    for index in range(copies):
        (source / f"bad{index}.toy").write_text(BAD, encoding="utf-8")
        (source / f"good{index}.toy").write_text(GOOD, encoding="utf-8")
    return source


def _found(report: Report) -> list[tuple[str, int, int, int, str, str]]:
    return [(Path(v.path).name, v.line, v.column, v.end_column, v.code, v.message) for v in report.violations]


def test_the_real_rules_judge_toy_clients(tmp_path: Path) -> None:
    report = check_paths([_tree(tmp_path)], Settings(root=tmp_path), jobs=1)
    assert report.errors == []
    assert _found(report) == [
        ("bad0.toy", 2, 8, 15, "LL302", "toy.Client read timeout 60 s is below the streaming minimum of 600 s: "
         "a pause longer than that between two chunks (extended thinking, a slow first token) ends the request; "
         "sdk: `toy.Client` at line 2"),
        ("bad0.toy", 2, 16, 28, "LL401", "toy.Client connect timeout is disabled: connecting to an unreachable "
         "host hangs until the operating system gives up"),
        ("bad0.toy", 3, 28, 37, "LL101", "toy.Client pool idle expiry is unbounded: idle connections never "
         "expire, so one a load balancer or NAT has dropped is reused and hangs"),
    ]


def test_the_worker_pool_and_the_cache_give_the_same_findings(tmp_path: Path) -> None:
    source = _tree(tmp_path, copies=PARALLEL_THRESHOLD)
    settings = Settings(root=tmp_path)
    serial = _found(check_paths([source], settings, jobs=1))
    assert len(serial) == 3 * PARALLEL_THRESHOLD
    assert _found(check_paths([source], settings, jobs=2)) == serial
    cache = tmp_path / "cache"
    assert _found(check_paths([source], settings, jobs=2, cache_dir=cache)) == serial  # cold
    assert _found(check_paths([source], settings, jobs=2, cache_dir=cache)) == serial  # answered by the cache


def test_suppressions_and_every_report_format(tmp_path: Path) -> None:
    (tmp_path / "one.toy").write_text("client read=60 connect=5  # lunalint: ignore[LL302]\nclient connect=none\n",
                                      encoding="utf-8")
    report = check_paths([tmp_path / "one.toy"], Settings(root=tmp_path))
    assert [(v.line, v.code) for v in report.violations if v.code in ("LL302", "LL401")] == [(2, "LL401")]
    data = json.loads(render(report, "json"))
    assert {(item["line"], item["code"]) for item in data["violations"]} >= {(2, "LL401")}
    sarif = json.loads(render(report, "sarif"))
    regions = [result["locations"][0]["physicalLocation"]["region"] for result in sarif["runs"][0]["results"]]
    assert {"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 20} in regions
    assert "one.toy,line=2,endLine=2,col=8,endColumn=20,title=LL401 connect-timeout-unbounded::" in render(
        report, "github")


def test_a_file_the_frontend_cannot_read_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "broken.toy").write_text("client read=1\nnot a client\n", encoding="utf-8")
    report = check_paths([tmp_path], Settings(root=tmp_path))
    assert [(e.code, e.message) for e in report.errors] == [("E001", "line 2: expected 'client ...'")]


@pytest.mark.parametrize("suffix", [".py", ".pyi", ".ipynb", ".rs"])
def test_every_bundled_frontend_keeps_the_contract(suffix: str) -> None:
    """The engine calls ``analyse(data, path)`` and, for LL902, ``suppressions(data)``."""
    import inspect

    from lunalint.frontend import frontend_for

    frontend = frontend_for(f"x{suffix}")
    assert list(inspect.signature(frontend.analyse).parameters)[:2] == ["data", "path"]
    assert list(inspect.signature(frontend.suppressions).parameters) == ["data"]
    assert frontend.analyse(b"nothing to see\n", f"x{suffix}") is None
