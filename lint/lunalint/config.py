"""Configuration: the policy and rule selection from ``[tool.lunalint]``, plus command-line overrides."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["ConfigError", "Policy", "Settings", "find_config", "load_settings"]


class ConfigError(Exception):
    """A configuration problem; the message is one line naming the file and the key."""


@dataclass(frozen=True)
class Policy:
    """The thresholds every client is judged against (seconds)."""

    streaming_min_timeout: float = 600.0
    max_pool_idle_timeout: float = 90.0
    max_keepalive_idle: float = 60.0
    max_connect_timeout: float = 30.0
    require_explicit: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything a run is configured with."""

    policy: Policy = field(default_factory=Policy)
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    root: Path = field(default_factory=Path.cwd)  # patterns are relative to this directory
    source: Path | None = None  # the pyproject.toml the settings came from


_POLICY_KEYS = {
    "streaming-min-timeout": "streaming_min_timeout",
    "max-pool-idle-timeout": "max_pool_idle_timeout",
    "max-keepalive-idle": "max_keepalive_idle",
    "max-connect-timeout": "max_connect_timeout",
}
_LIST_KEYS = {
    "select": "select", "extend-select": "extend_select", "ignore": "ignore",
    "exclude": "exclude", "extend-exclude": "extend_exclude",
}
VALID_KEYS = (*_POLICY_KEYS, "require-explicit", *_LIST_KEYS, "per-file-ignores")


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has a ``[tool.lunalint]`` table."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            try:
                data = _read_toml(path)
            except ConfigError:
                raise
            if isinstance(data.get("tool"), dict) and "lunalint" in data["tool"]:
                return path
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({error.reason})") from None


def load_settings(config: Path | None, overrides: Mapping[str, Any] | None = None,
                  *, known_codes: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``config`` (a pyproject.toml, or None for defaults) and CLI ``overrides``.

    ``known_codes`` maps every valid selector (codes, prefixes, names) to itself; when given,
    ``select``/``ignore`` entries are checked against it.
    """
    table: dict[str, Any] = {}
    root = Path.cwd()
    if config is not None:
        data = _read_toml(config)
        tool = data.get("tool", {})
        raw = tool.get("lunalint", {}) if isinstance(tool, dict) else {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{config}: [tool.lunalint] must be a table")
        table = dict(raw)
        root = config.parent.resolve()
    settings = _apply(Settings(root=root, source=config), table, str(config or "configuration"),
                      known_codes)
    if overrides:
        settings = _apply(settings, dict(overrides), "command line", known_codes)
    return settings


def _apply(settings: Settings, table: dict[str, Any], origin: str,
           known_codes: Mapping[str, str] | None) -> Settings:
    policy_changes: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{origin}: {key!r}" if origin == "command line" else f"{origin}: [tool.lunalint] {key!r}"
        if key in _POLICY_KEYS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"{where} must be a positive number of seconds, got {value!r}")
            policy_changes[_POLICY_KEYS[key]] = float(value)
        elif key == "require-explicit":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false, got {value!r}")
            policy_changes["require_explicit"] = value
        elif key in _LIST_KEYS:
            items = _string_list(value, where)
            if key in ("select", "extend-select", "ignore") and known_codes is not None:
                items = tuple(_check_code(item, where, known_codes) for item in items)
            changes[_LIST_KEYS[key]] = items
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where} must be a table of pattern = [codes], got {value!r}")
            entries = []
            for pattern, codes in value.items():
                items = _string_list(codes, f"{where}[{pattern!r}]")
                if known_codes is not None:
                    items = tuple(_check_code(item, where, known_codes) for item in items)
                entries.append((str(pattern), items))
            changes["per_file_ignores"] = tuple(entries)
        else:
            close = _close_matches(key, VALID_KEYS)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(VALID_KEYS)}"
            raise ConfigError(f"{where} is not a lunalint setting{hint}")
    if policy_changes:
        changes["policy"] = replace(settings.policy, **policy_changes)
    return replace(settings, **changes)


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)


def _check_code(item: str, where: str, known_codes: Mapping[str, str]) -> str:
    normalized = item.strip()
    key = normalized.upper() if normalized.upper().startswith("LL") or normalized.upper() == "ALL" else normalized
    if key in known_codes:
        return known_codes[key]
    close = _close_matches(normalized, list(known_codes))
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{where}: unknown rule code or name {item!r}{hint}")


def _close_matches(word: str, candidates: Sequence[str]) -> list[str]:
    import difflib  # only on an error: not worth importing on every run

    return difflib.get_close_matches(word, candidates, n=1)
