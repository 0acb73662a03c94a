"""LL204 tcp-keepalive-implicit: TCP keepalive left to the library default (explicit mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_keepalive
from lunalint.spec import KeepaliveState

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class TcpKeepaliveImplicit(Rule):
    """
    ## What it does
    With `require-explicit = true`, checks for pooled clients that rely on a library's built-in
    TCP keepalive (for example the Anthropic SDK's default client) instead of setting it in code.

    ## Why is this bad?
    Built-in keepalive disappears silently when the client is customised: the Anthropic SDK
    drops it as soon as you pass your own `http_client`. Teams that want every connection setting
    visible in code can require it.

    ## Example
    ```python
    import anthropic

    client = anthropic.Anthropic()
    ```

    ## Use instead
    ```python
    import socket
    import anthropic
    import httpx2

    client = anthropic.Anthropic(
        http_client=anthropic.DefaultHttpxClient(
            transport=httpx2.HTTPTransport(socket_options=[
                (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
                (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30),
            ]),
        ),
    )
    ```

    ```rust
    let client = reqwest::Client::builder()
        .tcp_keepalive(Duration::from_secs(30))
        .build()?;
    ```

    ## Options
    - `require-explicit` (default false)

    ## Fix safety
    Adds TCP keepalive with SO_KEEPALIVE, TCP_KEEPIDLE 60 s (or the policy's maximum),
    TCP_KEEPINTVL 10 s and TCP_KEEPCNT 5, listed once per module in `KEEPALIVE_SOCKET_OPTIONS`:
    httpx `socket_options=` on the transport (safe when the transport exists; when a transport is
    added, the client's transport arguments move into it, and the fix is unsafe because a transport
    turns off httpx's environment proxies, unless `proxy=` or `trust_env=False` already decides
    them); openai/anthropic `http_client=<sdk>.DefaultHttpxClient(transport=httpx2.HTTPTransport(...))`
    with the SDK's pool sizes (unsafe: environment proxies); aiohttp
    `TCPConnector(socket_factory=keepalive_socket)` with a helper inserted once (safe; aiohttp 3.12 or
    later); urllib3 `socket_options=HTTPConnection.default_socket_options + ...` (safe, TCP_NODELAY
    kept); a requests session assigned to a name gets a `KeepAliveAdapter` mounted for https:// and
    http:// (safe). `socket.TCP_KEEPIDLE` does not exist on macOS.

    ## References
    - [anthropic-sdk-python: default socket options](https://github.com/anthropics/anthropic-sdk-python/blob/main/src/anthropic/_base_client.py)
    """

    check_family = Check.TCP_KEEPALIVE
    summary = "TCP keepalive is left to the library default (explicit mode)"
    message = "{label} relies on the library's default TCP keepalive{note}; set socket options explicitly"

    VALID = (
        Valid("import httpx, socket\nhttpx.Client(transport=httpx.HTTPTransport(socket_options="
              "[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)]))",
              {"require_explicit": True}),
        Valid("import httpx\nhttpx.Client()", {"require_explicit": True}),  # no keepalive at all: LL201
    )
    INVALID = (
        Invalid("import anthropic\nanthropic.Anthropic()", "anthropic's default client sets SO_KEEPALIVE",
                {"require_explicit": True}, at="2:1",
                fixed='import anthropic\nimport httpx2\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nanthropic.Anthropic(http_client=anthropic.DefaultHttpxClient(transport=httpx2.HTTPTransport(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100), socket_options=KEEPALIVE_SOCKET_OPTIONS)))'),
        Invalid("from anthropic import AsyncAnthropicVertex as V\nV(region='us-east5')", "TCP_KEEPIDLE 60 s",
                {"require_explicit": True}, at="2:1",
                fixed="from anthropic import AsyncAnthropicVertex as V\nimport httpx2\nimport anthropic\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nV(region='us-east5', http_client=anthropic.DefaultAsyncHttpxClient(transport=httpx2.AsyncHTTPTransport(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100), socket_options=KEEPALIVE_SOCKET_OPTIONS)))"),
        Invalid("import anthropic, httpx2\nanthropic.Anthropic(http_client=anthropic.DefaultHttpxClient("
                "timeout=httpx2.Timeout(600, connect=5)))", "relies on the library's default TCP keepalive",
                {"require_explicit": True}, at="2:33",
                fixed='import anthropic, httpx2\nimport socket\n\n\nKEEPALIVE_SOCKET_OPTIONS = [\n    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10),\n    (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5),\n]\n\nanthropic.Anthropic(http_client=anthropic.DefaultHttpxClient(timeout=httpx2.Timeout(600, connect=5), transport=httpx2.HTTPTransport(limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100), socket_options=KEEPALIVE_SOCKET_OPTIONS)))'),
    )

    RUST_VALID = (
        Valid('// Cargo.lock: reqwest 0.12.28\n'
              'use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().tcp_keepalive(Duration::from_secs(30)).build()\n'
              '}\n', {'require_explicit': True}),
    )
    RUST_INVALID = (
        Invalid('// Cargo.lock: reqwest 0.12.28\n'
                'use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Ok(Client::new())\n'
                '}\n',
                'reqwest 0.12.28 in Cargo.lock: default idle 15 s', {'require_explicit': True}, at='5:8'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        keepalive = spec.keepalive
        if (judges_keepalive(spec, policy)[0] and keepalive is not None and keepalive.state is KeepaliveState.ON
                and not keepalive.explicit):
            yield self.report(keepalive.anchor, label=spec.label, note=keepalive.note)
