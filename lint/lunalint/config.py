"""Configuration: the policy and rule selection from ``[tool.lunalint]`` or a ``lunalint.toml``, plus command-line overrides."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lunalint.rules import Selection

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["CONFIG_NAMES", "STREAMING_SCOPES", "ConfigError", "Policy", "Settings", "find_config", "load_settings"]


STREAMING_SCOPES = ("llm", "all")


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
    # "llm": the streaming minimum applies where a long response is plausible (an LLM SDK, a
    # request that streams, a model endpoint or body), and one-shot clients and in-process
    # transports get no pool or keepalive finding; "all": every client is judged strictly.
    streaming_scope: str = "llm"


@dataclass(frozen=True)
class Settings:
    """Everything a run is configured with.

    ``select`` holds the resolved rule codes once ``load_settings`` has combined every source
    (``extend_select`` and ``ignore`` are then empty); built by hand, the three fields are one
    source's selection, with an empty ``select`` meaning the default rules.
    """

    policy: Policy = field(default_factory=Policy)
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    root: Path = field(default_factory=Path.cwd)  # patterns are relative to this directory
    source: Path | None = None  # the configuration file the settings came from
    respect_gitignore: bool = True
    force_exclude: bool = False
    fix: bool = False  # apply the fixes the run allows (``--fix``)
    unsafe_fixes: bool = False  # unsafe fixes too (``--unsafe-fixes``)
    fixable: tuple[str, ...] = ()  # rule selectors whose fixes may be applied (empty: all)
    unfixable: tuple[str, ...] = ()  # rule selectors whose fixes are never applied
    profile: str = "default"
    origins: tuple[tuple[str, str], ...] = ()  # (key, where its value came from), for --show-settings
    selections: tuple[tuple[str, Selection], ...] = ()  # (source, its selection), lowest priority first


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
_BOOL_KEYS = {"require-explicit": "require_explicit", "respect-gitignore": "respect_gitignore",
              "force-exclude": "force_exclude", "fix": "fix", "unsafe-fixes": "unsafe_fixes"}
_CHOICE_KEYS = {"streaming-scope": ("streaming_scope", STREAMING_SCOPES)}
_CONFIG_KEY = {"extend_exclude": "extend-exclude", "per_file_ignores": "per-file-ignores"}
VALID_KEYS = ("profile", *_POLICY_KEYS, *_CHOICE_KEYS, *_BOOL_KEYS, *_LIST_KEYS, "fixable", "unfixable",
              "per-file-ignores")
# Searched for in each directory, in this order (Ruff: .ruff.toml, ruff.toml, pyproject.toml).
CONFIG_NAMES = (".lunalint.toml", "lunalint.toml", "pyproject.toml")
DEFAULT = "default"
COMMAND_LINE = "command line"


def find_config(start: Path) -> Path | None:
    """The nearest configuration at or above ``start``: a ``.lunalint.toml`` or ``lunalint.toml``,
    or a ``pyproject.toml`` that has a ``[tool.lunalint]`` table."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            path = candidate / name
            if not path.is_file():
                continue
            if name != "pyproject.toml":
                return path
            data = _read_toml(path)
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


def _table(config: Path) -> dict[str, Any]:
    """The lunalint settings of ``config``: ``[tool.lunalint]`` of a pyproject.toml, else the top level."""
    data = _read_toml(config)
    if config.name != "pyproject.toml":
        tool = data.get("tool")
        if set(data) == {"tool"} and isinstance(tool, dict) and isinstance(tool.get("lunalint"), dict):
            return dict(tool["lunalint"])  # a pyproject-style file under another name
        return data
    tool = data.get("tool")
    if not isinstance(tool, dict) or "lunalint" not in tool:
        raise ConfigError(f"{config}: no [tool.lunalint] table (a standalone lunalint.toml takes "
                          "the settings at its top level)")
    raw = tool["lunalint"]
    if not isinstance(raw, dict):
        raise ConfigError(f"{config}: [tool.lunalint] must be a table")
    return dict(raw)


def load_settings(config: Path | None, overrides: Mapping[str, Any] | None = None,
                  *, known_codes: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``config`` (a configuration file, or None for defaults) and CLI ``overrides``.

    Policy values come from, lowest priority first: the defaults, the profile (``profile`` from
    the command line, else from the file), the file's own keys, the command line's keys. Rule
    selections combine as in Ruff (``lunalint.rules``). ``known_codes`` maps every valid selector
    (codes, prefixes, names) to itself; when given, selectors are checked against it.
    """
    from lunalint.rules import Selection, resolve_selection

    table: dict[str, Any] = {}
    root = Path.cwd()
    if config is not None:
        table = _table(config)
        root = config.parent.resolve()
    sources = [(str(config), _Layer.read(table, str(config), known_codes))] if config is not None else []
    if overrides:
        sources.append((COMMAND_LINE, _Layer.read(dict(overrides), COMMAND_LINE, known_codes)))
    origins: dict[str, str] = {key: DEFAULT for key in (*_POLICY_KEYS, *_CHOICE_KEYS, *_BOOL_KEYS, "profile")}
    values: dict[str, Any] = {}
    profile = "default"
    for origin, layer in sources:
        if layer.profile is not None:
            profile, origins["profile"] = layer.profile, origin
    from lunalint.profiles import PROFILES, profile_values

    for key, value in profile_values(profile).items():
        values[key] = value
        if key in PROFILES[profile]:
            origins[key] = f"profile {profile}"
    changes: dict[str, Any] = {}
    selections: list[tuple[str, Selection]] = []
    for origin, layer in sources:
        for key, value in layer.values.items():
            values[key] = value
            origins[key] = origin
        for key, value in layer.changes.items():  # extend-exclude adds up, as in Ruff; the rest replaces
            changes[key] = changes.get(key, ()) + value if key == "extend_exclude" else value
            origins[_CONFIG_KEY.get(key, key)] = origin
        if layer.selection != Selection():
            selections.append((origin, layer.selection))
    policy = Policy(**{_POLICY_KEYS[key]: value for key, value in values.items() if key in _POLICY_KEYS},
                    **{_CHOICE_KEYS[key][0]: value for key, value in values.items() if key in _CHOICE_KEYS},
                    require_explicit=values.get("require-explicit", False))
    codes = resolve_selection(selection for _, selection in selections)
    if not codes:
        described = "; ".join(f"{origin}: {_describe(selection)}" for origin, selection in selections)
        raise ConfigError(f"the rule selection is empty ({described}): no rule would run")
    return Settings(policy=policy, select=codes, root=root, source=config, profile=profile,
                    respect_gitignore=values.get("respect-gitignore", True),
                    force_exclude=values.get("force-exclude", False),
                    fix=values.get("fix", False), unsafe_fixes=values.get("unsafe-fixes", False),
                    origins=tuple(origins.items()), selections=tuple(selections), **changes)


def _describe(selection: Selection) -> str:
    parts = [] if selection.select is None else [f"select = {list(selection.select)}"]
    parts += [f"extend-select = {list(selection.extend_select)}"] if selection.extend_select else []
    parts += [f"ignore = {list(selection.ignore)}"] if selection.ignore else []
    return ", ".join(parts)


@dataclass
class _Layer:
    """One source's settings, validated: policy and switches, lists, its rule selection, its profile."""

    values: dict[str, Any]
    changes: dict[str, Any]
    selection: Selection
    profile: str | None

    @classmethod
    def read(cls, table: dict[str, Any], origin: str, known_codes: Mapping[str, str] | None) -> _Layer:
        from lunalint.profiles import PROFILE_NAMES
        from lunalint.rules import Selection

        values: dict[str, Any] = {}
        changes: dict[str, Any] = {}
        picked: dict[str, tuple[str, ...]] = {}
        profile: str | None = None
        for key, value in table.items():
            where = f"{origin}: [tool.lunalint] {key!r}" if origin.endswith("pyproject.toml") else f"{origin}: {key!r}"
            if key == "profile":
                if value not in PROFILE_NAMES:
                    raise ConfigError(f"{where} must be one of {', '.join(PROFILE_NAMES)}, got {value!r}")
                profile = value
            elif key in _POLICY_KEYS:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                    raise ConfigError(f"{where} must be a positive number of seconds, got {value!r}")
                values[key] = float(value)
            elif key in _CHOICE_KEYS:
                choices = _CHOICE_KEYS[key][1]
                if value not in choices:
                    raise ConfigError(f"{where} must be one of {', '.join(map(repr, choices))}, got {value!r}")
                values[key] = value
            elif key in _BOOL_KEYS:
                if not isinstance(value, bool):
                    raise ConfigError(f"{where} must be true or false, got {value!r}")
                values[key] = value
            elif key in ("select", "extend-select", "ignore"):
                items = _string_list(value, where)
                if known_codes is not None:
                    items = tuple(_check_code(item, where, known_codes) for item in items)
                picked[key] = items
            elif key in ("fixable", "unfixable"):
                items = _string_list(value, where)
                if known_codes is not None:
                    items = tuple(_check_code(item, where, known_codes) for item in items)
                changes[key] = items
            elif key in ("exclude", "extend-exclude"):
                changes[_LIST_KEYS[key]] = tuple(_pattern(item) for item in _string_list(value, where))
            elif key == "per-file-ignores":
                if not isinstance(value, dict):
                    raise ConfigError(f"{where} must be a table of pattern = [codes], got {value!r}")
                entries = []
                for pattern, codes in value.items():
                    items = _string_list(codes, f"{where}[{pattern!r}]")
                    if known_codes is not None:
                        items = tuple(_check_code(item, where, known_codes) for item in items)
                    entries.append((_pattern(str(pattern)), items))
                changes["per_file_ignores"] = tuple(entries)
            else:
                close = _close_matches(key, VALID_KEYS)
                hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(VALID_KEYS)}"
                if key == "tool":
                    hint = "; a [tool.lunalint] table belongs in pyproject.toml, this file takes the keys at its top level"
                raise ConfigError(f"{where} is not a lunalint setting{hint}")
        selection = Selection(picked.get("select"), picked.get("extend-select", ()), picked.get("ignore", ()))
        return cls(values, changes, selection, profile)


def _pattern(pattern: str) -> str:
    """An exclude pattern relative to the configuration's directory: ``./generated`` is ``generated``."""
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return pattern


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
