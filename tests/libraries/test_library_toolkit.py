"""The library toolkit: a library added by one module and one ``ENTRIES`` line is linted like the
real ones (``slowhttp_library.py``, a toy library for a made-up package), and what every library
shares (``Setting.at``/``noted``, ``Defaults``, the registry's checks) behaves as documented."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.lint import lint_all as lint  # settings as read, judged strictly
from support.repo import ROOT

from lunalint.cli import cli
from lunalint.libraries import ENTRIES, client_modules, load
from lunalint.libraries.base import Defaults
from lunalint.libraries.registry import build
from lunalint.spec import Keepalive, KeepaliveState, Setting, State

TOY = "support.slowhttp_library"  # tests/support/slowhttp_library.py
TOY_FILE = ROOT / "tests" / "support" / "slowhttp_library.py"

SOURCE = """\
import slowhttp as sh
from slowhttp import Client

default = sh.Client()
off = sh.Client(timeout=None)
client = Client(timeout=900)
client.fetch("https://api.example.com", timeout=5)
client.fetch("https://api.example.com")
"""
# (code, line, column): the default on the call that leaves it out, a written value on its argument
EXPECTED = [("LL303", 4, 11), ("LL301", 5, 17), ("LL302", 7, 41)]


@pytest.fixture
def slowhttp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one line a new library adds to ``ENTRIES``."""
    monkeypatch.setitem(ENTRIES, TOY, ("slowhttp",))


def found(source: str) -> list[tuple[str, int, int]]:
    return [(v.code, v.line, v.column) for v in lint(source)]


def test_an_unregistered_library_is_not_linted() -> None:
    assert "slowhttp" not in client_modules()
    assert found(SOURCE) == []


def test_one_entries_line_registers_a_library(slowhttp: None) -> None:
    registry = load()
    assert "slowhttp" in client_modules()
    assert "slowhttp.Client" in registry.entry_points
    assert "fetch" in registry.method_names  # computed from the method table
    assert found(SOURCE) == EXPECTED


def test_the_command_line_reports_on_it(slowhttp: None, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--streaming-scope", "all", "--format", "json",
                                      str(tmp_path)],
                                catch_exceptions=False)
    assert result.exit_code == 1
    violations = json.loads(result.stdout)["violations"]
    assert sorted((v["code"], v["line"], v["column"]) for v in violations) == sorted(EXPECTED)
    assert {v["library"] for v in violations} == {"slowhttp"}


def test_contributing_walks_through_this_toy_library() -> None:
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = guide.split("## Adding a library\n", 1)[1].split("\n## ", 1)[0]
    [module] = [block for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
                if "LIBRARY = Library(" in block]
    toy = TOY_FILE.read_text(encoding="utf-8")
    start = "from __future__ import annotations\n"
    assert module[module.index(start):] == toy[toy.index(start):]


def test_a_name_outside_the_entrys_import_names_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ENTRIES, TOY, ("fasthttp",))
    with pytest.raises(ValueError, match=r"slowhttp_library: slowhttp\.Client is outside its import names"):
        load()


def test_a_name_two_libraries_declare_is_refused() -> None:
    with pytest.raises(ValueError, match=r"slowhttp\.Client is declared by another library too"):
        build(((TOY, ("slowhttp",)), (TOY, ("slowhttp",))))


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_every_library_names_the_release_its_defaults_were_read_from(entry: str) -> None:
    defaults = importlib.import_module(entry).LIBRARY.defaults
    assert isinstance(defaults, Defaults)
    assert re.search(r"\b\d+\.\d+", defaults.upstream), defaults.upstream
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.upstream = "changed"  # type: ignore[misc]


def test_at_moves_a_setting_and_noted_adds_to_its_note() -> None:
    setting = Setting(State.SECONDS, "call", seconds=5.0, explicit=False, note="httpx default")
    moved = setting.at("argument")
    assert (moved.anchor, moved) == ("argument", setting)  # anchors do not take part in equality
    assert setting.noted("adopted").note == "httpx default, adopted"
    assert Setting(State.DISABLED, "call").noted("adopted").note == "adopted"
    keepalive = Keepalive(KeepaliveState.ON, "transport", idle=setting, note="SO_KEEPALIVE set")
    moved_idle = keepalive.at("name").idle
    assert moved_idle is not None and moved_idle.anchor == "name"
    assert keepalive.noted("dropped").note == "SO_KEEPALIVE set; dropped"
