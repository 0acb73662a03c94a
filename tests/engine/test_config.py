"""Configuration: [tool.lunalint] loading, validation with helpful errors, CLI-style overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from lunalint.config import ConfigError, Policy, find_config, load_settings
from lunalint.rules import known_selectors


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings(None)
    assert settings.policy == Policy(600.0, 90.0, 60.0, 30.0, False)


def test_values_from_pyproject(tmp_path: Path) -> None:
    path = write(tmp_path, """
[tool.lunalint]
streaming-min-timeout = 900
max-pool-idle-timeout = 45.5
max-keepalive-idle = 30
max-connect-timeout = 10
require-explicit = true
select = ["LL1", "timeout-unbounded"]
ignore = ["LL102"]
exclude = ["generated/"]
per-file-ignores = { "tests/*" = ["LL3"] }
""")
    settings = load_settings(path, known_codes=known_selectors())
    assert settings.policy == Policy(900.0, 45.5, 30.0, 10.0, True)
    assert settings.select == ("LL101", "LL103", "LL104", "LL301")  # resolved: LL1 and LL301, minus LL102
    assert settings.selections[0][1].ignore == ("LL102",)
    assert settings.exclude == ("generated/",)
    assert settings.per_file_ignores == (("tests/*", ("LL3",)),)
    assert settings.root == tmp_path.resolve()


def test_overrides_win(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool.lunalint]\nmax-connect-timeout = 10\n")
    settings = load_settings(path, {"max-connect-timeout": 20.0, "select": ["LL4"]}, known_codes=known_selectors())
    assert settings.policy.max_connect_timeout == 20.0
    assert settings.select == ("LL401", "LL402", "LL403")


@pytest.mark.parametrize(("body", "fragments"), [
    ("[tool.lunalint]\nmax-pool-idle = 30\n", ["'max-pool-idle'", "did you mean 'max-pool-idle-timeout'"]),
    ("[tool.lunalint]\nstreaming_min_timeout = 30\n", ["did you mean 'streaming-min-timeout'"]),
    ("[tool.lunalint]\nmax-connect-timeout = \"10\"\n", ["'max-connect-timeout'", "positive number", "'10'"]),
    ("[tool.lunalint]\nmax-connect-timeout = -1\n", ["positive number"]),
    ("[tool.lunalint]\nmax-connect-timeout = true\n", ["positive number"]),
    ("[tool.lunalint]\nrequire-explicit = 1\n", ["true or false"]),
    ("[tool.lunalint]\nselect = \"LL3\"\nignore = [3]\n", ["'ignore'", "list of strings"]),
    ("[tool.lunalint]\nselect = [\"LL999\"]\n", ["unknown rule code or name 'LL999'"]),
    ("[tool.lunalint]\nselect = [\"timeout-unbound\"]\n", ["did you mean 'timeout-unbounded'"]),
    ("[tool.lunalint]\nper-file-ignores = [\"x\"]\n", ["per-file-ignores", "table"]),
    ("[tool.lunalint\nmax = 1\n", ["invalid TOML", "line 1"]),
    ("[tool]\nlunalint = 3\n", ["must be a table"]),
])
def test_bad_configuration_is_one_clear_line(tmp_path: Path, body: str, fragments: list[str]) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, known_codes=known_selectors())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_not_utf8_config(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b"[tool.lunalint]\n# \xff\xfe\n")
    with pytest.raises(ConfigError, match="pyproject.toml: invalid TOML"):
        load_settings(path)


def test_find_config_walks_up_to_a_lunalint_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lunalint]\n", encoding="utf-8")
    inner = tmp_path / "pkg" / "sub"
    inner.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text("[tool.other]\n", encoding="utf-8")
    assert find_config(inner) == tmp_path / "pyproject.toml"
    assert find_config(inner / "file.py") == tmp_path / "pyproject.toml"


def test_find_config_none(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    found = find_config(tmp_path)
    assert found is None or found.parent != tmp_path
