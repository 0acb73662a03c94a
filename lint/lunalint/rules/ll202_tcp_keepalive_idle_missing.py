"""LL202 tcp-keepalive-idle-missing: SO_KEEPALIVE without an idle time (kernel default 7200 s)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_keepalive
from lunalint.spec import KeepaliveState, fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec

KERNEL_DEFAULT_IDLE = 7200


class TcpKeepaliveIdleMissing(Rule):
    """
    ## What it does
    Checks for sockets that set `SO_KEEPALIVE` without an idle time (`TCP_KEEPIDLE` on Linux and
    Windows, `TCP_KEEPALIVE` on macOS).

    ## Why is this bad?
    Without an idle time the kernel waits its default before the first probe: 7200 s (2 hours) on
    Linux, macOS and Windows. NAT gateways and load balancers forget idle flows after 60-350 s, so
    the probes come far too late to help.

    ## Example
    ```python
    import socket

    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    ```

    ## Use instead
    ```python
    import socket
    import sys

    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    if hasattr(socket, "TCP_KEEPIDLE"):
        options.append((socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30))
    elif sys.platform == "darwin":
        options.append((socket.IPPROTO_TCP, getattr(socket, "TCP_KEEPALIVE", 0x10), 30))
    ```

    ```rust
    let client = reqwest::Client::builder()
        .tcp_keepalive(Duration::from_secs(30))
        .build()?;
    ```

    ## Options
    - `max-keepalive-idle` (default 60 s)

    ## Fix safety
    Safe: the missing options (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT) are appended to a
    socket-option list written inline; help only for a list reached through a name.

    ## References
    - [tcp(7): tcp_keepalive_time](https://man7.org/linux/man-pages/man7/tcp.7.html)
    """

    check_family = Check.TCP_KEEPALIVE
    summary = "SO_KEEPALIVE without an idle time waits the 2-hour kernel default"
    message = ("{label} sets SO_KEEPALIVE without an idle time (TCP_KEEPIDLE, or TCP_KEEPALIVE on macOS): "
               "the first probe waits for the kernel default of {idle}")

    VALID = (
        Valid("import httpx, socket\nopts = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]\n"
              "if hasattr(socket, 'TCP_KEEPIDLE'):\n    opts.append((socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30))\n"
              "httpx.Client(transport=httpx.HTTPTransport(socket_options=opts))"),
        Valid("import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options="
              "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), *extra]))"),
    )
    INVALID = (
        Invalid("import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options="
                "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]))", "kernel default of 7200 s", at="2:59",
                fixed='import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60), (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10), (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)]))'),
        Invalid("import httpx2\nfrom socket import SOL_SOCKET, SO_KEEPALIVE\n"
                "t = httpx2.HTTPTransport(socket_options=[(SOL_SOCKET, SO_KEEPALIVE, True)])\n"
                "httpx2.Client(transport=t)", "without an idle time", at="4:25"),
    )

    RUST_VALID = (
        Valid('// Cargo.lock: reqwest 0.12.28\n'
              'use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().tcp_keepalive(Duration::from_secs(30)).build()\n'
              '}\n'),
        Valid('// Cargo.lock: reqwest 0.12.28\n'
              'use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Ok(Client::new())\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('// Cargo.lock: reqwest 0.12.28\n'
                'use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().tcp_keepalive(None).build()\n'
                '}\n',
                'kernel default of 7200 s', at='5:23'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        keepalive = spec.keepalive
        if not judges_keepalive(spec, policy)[0]:
            return
        if keepalive is not None and keepalive.state is KeepaliveState.ON and keepalive.idle is None:
            yield self.report(keepalive.anchor, label=spec.label, idle=fmt_seconds(KERNEL_DEFAULT_IDLE))
