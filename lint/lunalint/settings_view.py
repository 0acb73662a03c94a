"""``lunalint check --show-settings``: the resolved settings as TOML, each value with its origin."""

from __future__ import annotations

import json

from lunalint.config import Settings

__all__ = ["show"]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value)


def show(settings: Settings) -> str:
    """Every setting as ``key = value  # origin``: default, profile NAME, a configuration file, command line."""
    origins = dict(settings.origins)
    policy = settings.policy
    rows: list[tuple[str, object]] = [
        ("profile", settings.profile),
        ("streaming-min-timeout", policy.streaming_min_timeout),
        ("max-pool-idle-timeout", policy.max_pool_idle_timeout),
        ("max-keepalive-idle", policy.max_keepalive_idle),
        ("max-connect-timeout", policy.max_connect_timeout),
        ("streaming-scope", policy.streaming_scope),
        ("require-explicit", policy.require_explicit),
        ("respect-gitignore", settings.respect_gitignore),
        ("force-exclude", settings.force_exclude),
        ("fix", settings.fix),
        ("unsafe-fixes", settings.unsafe_fixes),
        ("fixable", settings.fixable or ("ALL",)),
        ("unfixable", settings.unfixable),
        ("exclude", settings.exclude),
        ("extend-exclude", settings.extend_exclude),
    ]
    lines = [f"# configuration file: {settings.source if settings.source is not None else 'none'}",
             f"# paths are relative to: {settings.root}"]
    for key, value in rows:
        lines.append(f"{key} = {_toml(value)}  # {origins.get(key, 'default')}")
    ignores = ", ".join(f"{json.dumps(pattern)} = {_toml(codes)}" for pattern, codes in settings.per_file_ignores)
    lines.append(f"per-file-ignores = {{{ignores}}}  # {origins.get('per-file-ignores', 'default')}")
    for origin, selection in settings.selections:
        parts = [] if selection.select is None else [f"select = {_toml(selection.select)}"]
        parts += [f"extend-select = {_toml(selection.extend_select)}"] if selection.extend_select else []
        parts += [f"ignore = {_toml(selection.ignore)}"] if selection.ignore else []
        lines.append(f"# rule selection from {origin}: {', '.join(parts)}")
    from lunalint.rules import RULES

    explicit = {rule.code for rule in RULES if rule.explicit_only}
    running = tuple(code for code in settings.select if policy.require_explicit or code not in explicit)
    held = [code for code in settings.select if code not in running]
    note = f"; selected but explicit-mode, so only with require-explicit: {', '.join(held)}" if held else ""
    lines.append(f"rules = {_toml(running)}  # resolved from the rule selections{note}")
    return "\n".join(lines) + "\n"
