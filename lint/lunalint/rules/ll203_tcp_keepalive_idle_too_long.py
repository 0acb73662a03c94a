"""LL203 tcp-keepalive-idle-too-long: keepalive probes start after the path has forgotten the flow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_keepalive
from lunalint.spec import KeepaliveState, State, fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class TcpKeepaliveIdleTooLong(Rule):
    """
    ## What it does
    Checks for TCP keepalive idle times (`TCP_KEEPIDLE`, or `TCP_KEEPALIVE` on macOS) longer than
    `max-keepalive-idle`, and for idle times that disable probing.

    ## Why is this bad?
    The idle time is how long a connection stays silent before the first probe. Probes only keep
    a NAT or load balancer entry alive if they come before its idle timeout (often 60 s for
    load balancers, 350 s for AWS NAT), and only detect a dead peer that soon after.

    ## Example
    ```python
    import socket

    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 600)]
    ```

    ## Use instead
    ```python
    import socket

    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)]
    ```

    ```rust
    let client = reqwest::Client::builder()
        .tcp_keepalive(Duration::from_secs(30))
        .build()?;
    ```

    ## Options
    - `max-keepalive-idle` (default 60 s)

    ## Fix safety
    Unsafe: replaces the idle time the code wrote in an inline `(level, option, seconds)` with
    60 s (or the policy's maximum); help only for a value reached through a name.

    ## References
    - [tcp(7): TCP_KEEPIDLE](https://man7.org/linux/man-pages/man7/tcp.7.html)
    """

    check_family = Check.TCP_KEEPALIVE
    summary = "TCP keepalive idle time is longer than the maximum"
    message = ("{label} TCP keepalive idle time {value} exceeds the maximum of {maximum}: NATs and load "
               "balancers may drop the flow before the first probe")
    variants = {"unbounded": "{label} TCP keepalive idle time is unbounded: no probe is ever sent"}

    VALID = (
        Valid("import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options="
              "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)]))"),
        Valid("import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options="
              "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 120)]))",
              {"max_keepalive_idle": 120}),
    )
    INVALID = (
        Invalid("import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options="
                "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 300)]))",
                "TCP keepalive idle time 300 s exceeds the maximum of 60 s", at="2:106",
                fixed='import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)]))'),
        Invalid("import httpx, socket\nIDLE = getattr(socket, 'TCP_KEEPIDLE', 4)\n"
                "httpx.Client(transport=httpx.HTTPTransport(socket_options="
                "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, IDLE, 2 * 60 * 60)]))",
                "7200 s", at="3:106",
                fixed="import httpx, socket\nIDLE = getattr(socket, 'TCP_KEEPIDLE', 4)\nhttpx.Client(transport=httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, IDLE, 60)]))"),
        Invalid("import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options="
                "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, None)]))",
                "idle time is unbounded", at="2:106",
                fixed='import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)]))'),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().tcp_keepalive(Duration::from_secs(60)).build()\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().tcp_keepalive(Duration::from_secs(300)).build()\n'
                '}\n',
                'TCP keepalive idle time 300 s exceeds the maximum of 60 s', at='4:23'),
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().tcp_keepalive(Some(Duration::from_secs(2 * 60 * 60))).build()\n'
                '}\n',
                '7200 s', at='4:23'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        keepalive = spec.keepalive
        if not judges_keepalive(spec, policy)[0] or keepalive is None or keepalive.state is not KeepaliveState.ON:
            return
        idle = keepalive.idle
        if idle is None:
            return
        if idle.finite and idle.seconds is not None and (idle.least or 0.0) > policy.max_keepalive_idle:
            yield self.report(idle.anchor, label=spec.label, value=fmt_seconds(idle.least or 0.0),
                              maximum=fmt_seconds(policy.max_keepalive_idle))
        elif idle.state is State.DISABLED:
            yield self.report(idle.anchor, variant="unbounded", label=spec.label)
