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

    ## Options
    - `require-explicit` (default false)

    ## Fix safety
    No automatic fix.

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
                {"require_explicit": True}, at="2:1"),
        Invalid("from anthropic import AsyncAnthropicVertex as V\nV(region='us-east5')", "TCP_KEEPIDLE 60 s",
                {"require_explicit": True}, at="2:1"),
        Invalid("import anthropic, httpx2\nanthropic.Anthropic(http_client=anthropic.DefaultHttpxClient("
                "timeout=httpx2.Timeout(600, connect=5)))", "relies on the library's default TCP keepalive",
                {"require_explicit": True}, at="2:33"),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        keepalive = spec.keepalive
        if (judges_keepalive(spec, policy)[0] and keepalive is not None and keepalive.state is KeepaliveState.ON
                and not keepalive.explicit):
            yield self.report(keepalive.anchor, label=spec.label, note=keepalive.note)
