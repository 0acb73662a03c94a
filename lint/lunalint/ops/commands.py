"""The ``egress rules``, ``probe`` and ``doctor`` commands (heavy imports happen when they run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from lunalint.config import Policy

__all__ = ["doctor_command", "egress_group", "probe_command"]

EXIT_OK, EXIT_UNHEALTHY, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("text", "json")


def _fail(message: str) -> None:
    click.echo(f"lunalint: error: {message}", err=True)
    raise SystemExit(EXIT_ERROR)


@click.group("egress")
def egress_group() -> None:
    """Operating the reference egress client (lunalint.egress)."""


@egress_group.command("rules")
def rules_command() -> None:
    """Print the Prometheus recording and alerting rules for the egress client's metrics."""
    from .rules import rules_text

    click.echo(rules_text(), nl=False)


@click.command("probe")
@click.argument("url")
@click.option("--method", type=click.Choice(("GET", "HEAD", "OPTIONS")), default="GET", show_default=True,
              help="Request method (the probe sends no body).")
@click.option("--header", "-H", "headers", multiple=True, metavar="'NAME: VALUE'",
              help="Header to send with every request (repeatable), e.g. an Authorization header.")
@click.option("--min-idle", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True,
              help="Shortest idle time tried (s).")
@click.option("--max-idle", type=click.FloatRange(min=0, min_open=True), default=150.0, show_default=True,
              help="Longest idle time tried (s); the probe takes about this long.")
@click.option("--connections", "-n", type=click.IntRange(min=1, max=200), default=24, show_default=True,
              help="Connections, each idling for one time between --min-idle and --max-idle.")
@click.option("--answer-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="How long to wait for a response before calling a connection silent (s).")
@click.option("--connect-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="TCP connect plus TLS handshake (s).")
@click.option("--cafile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Trust this CA bundle instead of the system trust store (https).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="The pyproject.toml whose policy to compare with (default: the nearest one).")
@click.option("--isolated", is_flag=True, help="Compare with the default policy, ignoring configuration files.")
@click.option("--format", "output_format", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True)
def probe_command(url: str, method: str, headers: tuple[str, ...], min_idle: float, max_idle: float,
                  connections: int, answer_timeout: float, connect_timeout: float, cafile: Path | None,
                  config_path: Path | None, isolated: bool, output_format: str) -> None:
    """Measure how long the upstream at URL keeps an idle keep-alive connection open.

    Opens --connections connections at once; each sends one request, idles for its own time,
    and watches for a FIN or RST; one still open sends the request again, and no answer means
    the connection was dropped silently. At most two requests per connection, all to URL.
    Exit 0 when the configured max-pool-idle-timeout (and, for a silent drop, max-keepalive-idle)
    is safe for this upstream, 1 when not, 2 when the upstream cannot be probed.
    """
    try:
        import h11  # noqa: F401 - the egress extra's HTTP/1.1 parser
    except ImportError:
        _fail("lunalint probe needs h11: pip install 'lunalint[egress]'")
    import asyncio

    from lunalint.config import ConfigError

    from .advice import advise, render_json, render_text
    from .probe import ProbeError, ProbeSettings, idle_ladder, measure, parse_target

    try:
        policy, source = _policy(config_path, isolated)
        target = parse_target(url)
        settings = ProbeSettings(
            idles=idle_ladder(min_idle, max_idle, connections), method=method,
            headers=tuple(_header(value) for value in headers), answer_timeout=answer_timeout,
            connect_timeout=connect_timeout, cafile=None if cafile is None else str(cafile),
        )  # fmt: skip
        measurement = asyncio.run(measure(target, settings))
    except (ConfigError, ProbeError) as error:
        _fail(str(error))
        return
    advice = advise(measurement, policy, source)
    if output_format == "json":
        click.echo(json.dumps(render_json(advice), indent=2))
    else:
        click.echo(render_text(advice), nl=False)
    raise SystemExit(advice.exit_code)


def _header(value: str) -> tuple[str, str]:
    from .probe import ProbeError

    name, sep, content = value.partition(":")
    if not sep or not name.strip() or any(c in name for c in " \t\r\n") or any(c in value for c in "\r\n"):
        raise ProbeError(f"--header {value!r}: expected 'Name: value'")
    return name.strip(), content.strip()


def _policy(config_path: Path | None, isolated: bool) -> tuple[Policy, str | None]:
    from lunalint.config import ConfigError, find_config, load_settings

    if config_path is not None and not config_path.is_file():
        raise ConfigError(f"{config_path}: configuration file not found")
    config = config_path if config_path is not None else (None if isolated else find_config(Path.cwd()))
    return load_settings(config).policy, None if config is None else str(config)


@click.command("doctor")
@click.argument("metrics")
@click.option("--interval", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Read METRICS repeatedly for this many seconds and judge the change (default: one "
                   "read, totals since the process started).")
@click.option("--every", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Seconds between reads with --interval.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Timeout for fetching a METRICS URL (s).")
@click.option("--format", "output_format", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True)
def doctor_command(metrics: str, interval: float | None, every: float, timeout: float, output_format: str) -> None:
    """Judge the egress client's health metrics in METRICS (a /metrics URL or a file).

    Reads the Prometheus text exposition of a process that uses lunalint.egress with
    register_prometheus, and judges connection reuse, the timeout rate, the p99 request duration
    and the pool size against the healthy and unhealthy levels. Exit 0 when nothing is
    unhealthy, 1 when something is, 2 when METRICS cannot be read.
    """
    from .doctor import DoctorError, diagnose, render_json, render_text

    try:
        report = diagnose(metrics, interval=interval, every=every, timeout=timeout)
    except DoctorError as error:
        _fail(str(error))
        return
    if output_format == "json":
        click.echo(json.dumps(render_json(report), indent=2))
    else:
        click.echo(render_text(report), nl=False)
    raise SystemExit(report.exit_code)
