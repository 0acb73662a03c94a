"""The ``lunalint`` command line: parses options, calls the engine, prints, returns the exit code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from lunalint import __version__
from lunalint.formats import FORMATS, STATISTICS_FORMATS  # plain data: imports neither libcst nor a renderer

if TYPE_CHECKING:
    from lunalint.config import Settings
    from lunalint.report import Report

__all__ = ["main", "run"]

RULES_FORMATS = ("text", "json", "markdown")

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"lunalint: error: {message}", err=True)
    raise SystemExit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="lunalint", message="%(prog)s %(version)s")
def cli() -> None:
    """lunalint: find HTTP clients that hang on stale pooled connections or kill long streams."""


def _codes(values: tuple[str, ...]) -> list[str] | None:
    """Repeated, comma-separated options as one list (None when the option was not given)."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


_PROFILES = ("default", "high-traffic", "low-latency", "long-running")  # lunalint.profiles.PROFILE_NAMES


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="Use this configuration file (a pyproject.toml, or a lunalint.toml with top-level keys).")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--profile", type=click.Choice(_PROFILES), default=None,
              help="Policy profile: thresholds from the tuning recommendations; explicit keys still win.")
@click.option("--select", multiple=True, help="Rule codes, prefixes or names to enable (comma-separated, repeatable).")
@click.option("--extend-select", multiple=True, help="Rules to enable on top of the selection (repeatable).")
@click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to disable (repeatable).")
@click.option("--exclude", multiple=True, help="Glob patterns to skip (replaces the configured ones; repeatable).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to skip on top of the configured ones.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None,
              help="Skip files ignored by git (.gitignore, .git/info/exclude, core.excludesFile). Default: on.")
@click.option("--force-exclude/--no-force-exclude", default=None,
              help="Apply exclusions to paths named on the command line too (for pre-commit).")
@click.option("--streaming-min-timeout", type=float, help="Shortest timeout that lets long streams live (s).")
@click.option("--streaming-scope", type=click.Choice(("llm", "all")), default=None,
              help="Where the streaming minimum applies: llm (where a long response is plausible; the "
                   "default) or all (every client, as strictly as if each one streamed).")
@click.option("--max-pool-idle-timeout", type=float, help="Longest allowed pool idle expiry (s).")
@click.option("--max-keepalive-idle", type=float, help="Longest allowed TCP keepalive idle time (s).")
@click.option("--max-connect-timeout", type=float, help="Longest allowed connect timeout (s).")
@click.option("--require-explicit/--no-require-explicit", default=None,
              help="Also report settings left to a library default.")
@click.option("--format", "--output-format", "output_format", type=click.Choice(FORMATS), default=None,
              help="full (source and fix hints; the default on a terminal), concise (one line each; "
                   "the default otherwise; also called text), json, github or sarif.")
@click.option("--stdin-filename", type=click.Path(path_type=Path), default=None,
              help="The name of the file read from standard input (PATH `-`): for reports, configuration "
                   "and per-file ignores.")
@click.option("--output-file", "-o", type=click.Path(path_type=Path), help="Write the report to this file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of each finding.")
@click.option("--show-settings", is_flag=True, help="Show the resolved settings and where each came from, then exit.")
@click.option("--show-files", is_flag=True, help="Show the files that would be checked, then exit.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary line.")
@click.option("--no-color", is_flag=True,
              help="Never colour the output (colour is used only on a terminal; NO_COLOR and FORCE_COLOR are honoured).")
@click.option("--fix/--no-fix", "fix", default=None,
              help="Apply the safe fixes (and, with --unsafe-fixes, the unsafe ones) and report what remains.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", "unsafe_fixes", default=None,
              help="Also apply (or count as fixable) fixes that change a value the code wrote or have side effects.")
@click.option("--diff", is_flag=True,
              help="Print the fixes as a unified diff and write nothing; exit 1 when there is something to fix.")
@click.option("--fix-only", is_flag=True, help="Apply fixes and report nothing else (exit 0 unless a file fails).")
@click.option("--show-fixes", is_flag=True, help="After fixing, list the findings fixed in each file.")
@click.option("--fixable", multiple=True, help="Rules whose fixes may be applied (default: all; repeatable).")
@click.option("--unfixable", multiple=True, help="Rules whose fixes are never applied (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for parsing (default: one per CPU core).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Result cache directory (default: .lunalint_cache beside the configuration, "
                   "or $LUNALINT_CACHE_DIR).")
def check(paths: tuple[Path, ...], config_path: Path | None, isolated: bool, profile: str | None,
          select: tuple[str, ...], extend_select: tuple[str, ...], ignore: tuple[str, ...],
          exclude: tuple[str, ...], extend_exclude: tuple[str, ...], respect_gitignore: bool | None,
          force_exclude: bool | None,
          streaming_min_timeout: float | None, streaming_scope: str | None, max_pool_idle_timeout: float | None,
          max_keepalive_idle: float | None, max_connect_timeout: float | None,
          require_explicit: bool | None, output_format: str | None, stdin_filename: Path | None,
          output_file: Path | None, exit_zero: bool, statistics: bool, show_settings: bool, show_files: bool,
          quiet: bool, no_color: bool, fix: bool | None, unsafe_fixes: bool | None, diff: bool, fix_only: bool,
          show_fixes: bool, fixable: tuple[str, ...], unfixable: tuple[str, ...],
          jobs: int | None, no_cache: bool, cache_dir: Path | None) -> None:
    """Check PATHS (default: the current directory; `-` reads standard input) for HTTP client misconfiguration."""
    from lunalint.config import ConfigError, find_config, load_settings
    from lunalint.rules import known_selectors

    if output_format is None:
        output_format = "full" if output_file is None and sys.stdout.isatty() else "concise"
    if statistics and output_format not in STATISTICS_FORMATS:
        _fail(f"--statistics works with --format {' or '.join(STATISTICS_FORMATS)}, not {output_format}")
    from_stdin = list(paths) == [Path("-")]
    if Path("-") in paths and not from_stdin:
        _fail("`-` (standard input) cannot be combined with other paths")
    if stdin_filename is not None and not from_stdin:
        _fail("--stdin-filename needs the path `-` (standard input)")
    if isolated and config_path is not None:
        _fail("--isolated and --config contradict each other: --isolated ignores every configuration file")
    targets = [stdin_filename or Path("-")] if from_stdin else (list(paths) or [Path(".")])
    overrides: dict[str, Any] = {}
    for key, value in (("profile", profile), ("select", _codes(select)), ("extend-select", _codes(extend_select)),
                       ("ignore", _codes(ignore)), ("exclude", _codes(exclude)),
                       ("extend-exclude", _codes(extend_exclude)),
                       ("respect-gitignore", respect_gitignore), ("force-exclude", force_exclude),
                       ("streaming-min-timeout", streaming_min_timeout),
                       ("streaming-scope", streaming_scope),
                       ("max-pool-idle-timeout", max_pool_idle_timeout),
                       ("max-keepalive-idle", max_keepalive_idle),
                       ("max-connect-timeout", max_connect_timeout),
                       ("require-explicit", require_explicit), ("fix", True if fix_only else fix),
                       ("unsafe-fixes", unsafe_fixes), ("fixable", _codes(fixable)), ("unfixable", _codes(unfixable))):
        if value is not None:
            overrides[key] = value
    config: Path | None = config_path
    try:
        if config_path is not None:
            if not config_path.is_file():
                _fail(f"{config_path}: configuration file not found")
        else:
            config = None if isolated else find_config(_common_parent(targets))
        settings = load_settings(config, overrides, known_codes=known_selectors())
    except ConfigError as error:
        _fail(str(error))
        return
    if show_settings:
        from lunalint.settings_view import show

        click.echo(show(settings), nl=False)
        raise SystemExit(EXIT_CLEAN)
    if show_files:
        _show_files(targets, settings, from_stdin)
    if no_cache or from_stdin:
        cache_dir = None
    elif cache_dir is None:
        cache_dir = Path(os.environ.get("LUNALINT_CACHE_DIR") or settings.root / ".lunalint_cache")
    sources: dict[str, str] = {}
    if from_stdin and (settings.fix or diff):
        raise SystemExit(_fix_stdin(stdin_filename, settings, diff))
    if from_stdin:
        report = _check_stdin(stdin_filename, settings, sources)
    elif settings.fix or diff:
        from lunalint.fix import fix_paths

        run = fix_paths(targets, settings, jobs=jobs, cache_dir=cache_dir, write=not diff)
        report = run.report
        if diff or fix_only:
            raise SystemExit(_fix_summary(run, diff=diff, show_fixes=show_fixes, quiet=quiet))
    else:
        from lunalint.engine import check_paths

        report = check_paths(targets, settings, jobs=jobs, cache_dir=cache_dir)
    from lunalint.formats import render

    color = output_format in ("text", "concise", "full") and output_file is None and _use_color(no_color)
    text = render(report, output_format, color=color, statistics=statistics, sources=sources,
                  policy=settings.policy)
    if quiet and output_format in ("text", "concise", "full"):
        from lunalint.formats.text import SUMMARY_PREFIXES

        text = "".join(line + "\n" for line in text.splitlines()
                       if not click.unstyle(line).startswith(SUMMARY_PREFIXES))
    if output_file is not None:
        _write_atomically(output_file, text)
    else:
        click.echo(text, nl=False, color=color)  # click would strip the colour FORCE_COLOR asked for
    if show_fixes and report.fix_run and not quiet:
        click.echo(_fixes_list(run.fixed), nl=False, err=output_format not in ("text", "concise", "full"))
    for file_error in report.errors:
        click.echo(f"lunalint: error: {file_error.path}: {file_error.message}", err=True)
    raise SystemExit(report.exit_code(exit_zero=exit_zero))


def _fixes_list(fixed: dict[str, Any]) -> str:
    """``--show-fixes``: the findings fixed in each file, by rule."""
    from lunalint.rules import RULES

    names = {rule.code: rule.name for rule in RULES}
    if not fixed:
        return "No findings were fixed.\n"
    total = sum(sum(counts.values()) for counts in fixed.values())
    lines = [f"Fixed {total} finding{'' if total == 1 else 's'}:"]
    for path, counts in sorted(fixed.items()):
        lines.append(f"- {path}:")
        lines.extend(f"    {count} × {code} ({names.get(code, '')})" for code, count in sorted(counts.items()))
    return "\n".join(lines) + "\n"


def _fix_summary(run: Any, *, diff: bool, show_fixes: bool, quiet: bool) -> int:
    """``--diff`` and ``--fix-only``: the diffs (or the fixed list), one summary line, the exit code."""
    count = sum(sum(counts.values()) for counts in run.fixed.values())
    if diff:
        click.echo("".join(run.diffs), nl=False)
        if not quiet:
            click.echo(f"Would fix {count} finding{'' if count == 1 else 's'}." if count else "No fixes available.",
                       err=True)
    else:
        if show_fixes and not quiet:
            click.echo(_fixes_list(run.fixed), nl=False)
        elif not quiet:
            click.echo(f"Fixed {count} finding{'' if count == 1 else 's'}." if count else "No fixes available.")
    for file_error in run.report.errors:
        click.echo(f"lunalint: error: {file_error.path}: {file_error.message}", err=True)
    if run.report.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if diff and count else EXIT_CLEAN


def _fix_stdin(stdin_filename: Path | None, settings: Settings, diff: bool) -> int:
    """``--fix`` on standard input: the fixed source on standard output (a diff with ``--diff``)."""
    from lunalint.engine import active_rules
    from lunalint.rules import rules_for_file
    from lunalint.fix import FixPolicy, fix_source, unified_diff

    display = str(stdin_filename) if stdin_filename is not None else "-"
    data = sys.stdin.buffer.read()
    codes = rules_for_file(os.path.abspath(display), settings.per_file_ignores, settings.root, active_rules(settings))
    outcome = fix_source(data, display, settings, codes, FixPolicy.of(settings))
    for file_error in outcome.result.errors:
        click.echo(f"lunalint: error: {file_error.path}: {file_error.message}", err=True)
    if diff:
        click.echo(unified_diff(display, data, outcome.data), nl=False)
        return EXIT_ERROR if outcome.result.errors else (EXIT_FINDINGS if outcome.changed else EXIT_CLEAN)
    sys.stdout.buffer.write(outcome.data)
    sys.stdout.buffer.flush()
    if outcome.result.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if outcome.result.violations else EXIT_CLEAN


def _check_stdin(stdin_filename: Path | None, settings: Settings, sources: dict[str, str]) -> Report:
    """Check standard input as the file ``stdin_filename`` (excluded with ``force-exclude``: nothing)."""
    from lunalint.discover import DEFAULT_EXCLUDES, _Excludes
    from lunalint.engine import active_rules, check_source
    from lunalint.rules import rules_for_file
    from lunalint.report import Report

    display = str(stdin_filename) if stdin_filename is not None else "-"
    data = sys.stdin.buffer.read()
    report = Report()
    if stdin_filename is not None and settings.force_exclude:
        excluded = _Excludes((*DEFAULT_EXCLUDES, *settings.exclude, *settings.extend_exclude), settings.root)
        if excluded.path(os.path.abspath(stdin_filename)):
            return report
    sources[display] = data.decode("utf-8", errors="replace")
    codes = rules_for_file(os.path.abspath(display), settings.per_file_ignores, settings.root, active_rules(settings))
    result = check_source(data, display, settings, codes)
    report.files_checked = 1
    report.violations.extend(result.violations)
    report.errors.extend(result.errors)
    report.sort()
    return report


def _show_files(targets: list[Path], settings: Settings, from_stdin: bool) -> NoReturn:
    from lunalint.discover import PathError, discover

    if from_stdin:
        click.echo(str(targets[0]))
        raise SystemExit(EXIT_CLEAN)
    status = EXIT_CLEAN
    found: list[str] = []
    for item in discover(targets, settings.exclude + settings.extend_exclude, settings.root,
                         respect_gitignore=settings.respect_gitignore, force_exclude=settings.force_exclude):
        if isinstance(item, PathError):
            click.echo(f"lunalint: error: {item.display}: {item.message}", err=True)
            status = EXIT_ERROR
        else:
            found.append(item.display)
    for display in sorted(found):
        click.echo(display)
    raise SystemExit(status)


def _use_color(no_color: bool) -> bool:
    """Colour on a terminal only; ``--no-color`` and ``NO_COLOR`` win over ``FORCE_COLOR``."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    return sys.stdout.isatty()


def _common_parent(paths: list[Path]) -> Path:
    resolved = [path.resolve() for path in paths]
    try:
        common = Path(os.path.commonpath([str(path) for path in resolved]))
    except ValueError:
        return Path.cwd()
    return common


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.lunalint-tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
        _fail(f"{path}: cannot write output: {error.strerror or error}")


@cli.command("rules")
@click.option("--format", "output_format", type=click.Choice(RULES_FORMATS), default="text", show_default=True,
              help="text (a table), json, or markdown (the README's rule table).")
def rules_command(output_format: str) -> None:
    """List every rule: code, name, check family, whether it has a fix, summary."""
    from lunalint.rules import all_rules

    if output_format == "markdown":
        from lunalint.docs import rules_markdown

        click.echo(rules_markdown(), nl=False)
        return
    if output_format == "json":
        import json

        click.echo(json.dumps([{"code": rule.code, "name": rule.name, "check": rule.check_family.value,
                                "has_fix": rule.has_fix, "explicit_only": rule.explicit_only,
                                "summary": rule.summary} for rule in all_rules()], indent=2))
        return
    rows = [(rule.code, rule.name, rule.check_family.value, "yes" if rule.has_fix else "no", rule.summary)
            for rule in all_rules()]
    headers = ("code", "name", "check", "fix", "summary")
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(4)]
    for row in (headers, *rows):
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row[:4], widths)) + "  " + row[4])


@cli.command("explain")
@click.argument("rule")
def explain_command(rule: str) -> None:
    """Show the documentation of RULE (a code such as LL301, or a name)."""
    from lunalint.docs import explain

    try:
        click.echo(explain(rule), nl=False)
    except KeyError:
        _fail(f"unknown rule {rule!r}; `lunalint rules` lists them")


from lunalint.ops.commands import doctor_command, egress_group, probe_command  # noqa: E402 - click commands only

for _command in (egress_group, probe_command, doctor_command):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (``SystemExit`` and tracebacks never escape)."""
    try:
        cli.main(args=argv, prog_name="lunalint", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("lunalint: error: aborted", err=True)
        return EXIT_ERROR
    except click.exceptions.ClickException as error:
        command = error.ctx.command_path if isinstance(error, click.UsageError) and error.ctx else "lunalint"
        hint = f" (see `{command} --help`)" if isinstance(error, click.UsageError) else ""
        click.echo(f"lunalint: error: {error.format_message()}{hint}", err=True)
        return EXIT_ERROR
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_ERROR)
    except Exception as error:  # noqa: BLE001 - a bug must still end in one line and exit 2
        click.echo(f"lunalint: error: internal error ({type(error).__name__}: {error}); "
                   "this is a bug in lunalint, please report it", err=True)
        return EXIT_ERROR
    return EXIT_CLEAN


def run() -> NoReturn:
    """The console script and ``python -m lunalint``: ``main``, then an immediate exit.

    A short-lived process need not tear its interpreter down (freeing every module and object one
    by one): that is 5-10% of a run answered from the cache. Output is flushed first.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (``| head``), or a closed stream
            pass
    os._exit(code)
