"""LL401 connect-timeout-unbounded: connecting can hang until the operating system gives up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_timeouts
from lunalint.spec import State

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class ConnectTimeoutUnbounded(Rule):
    """
    ## What it does
    Checks for clients and requests with no connect timeout, such as `timeout=None` (which in
    httpx and the OpenAI/Anthropic SDKs disables the connect timeout too) or
    `httpx.Timeout(600, connect=None)`.

    ## Why is this bad?
    A SYN to an unreachable or overloaded host is retried by the kernel for about two minutes on
    Linux (longer elsewhere) before the connect fails. During an upstream incident every new
    request waits that long instead of failing fast and being retried elsewhere.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(900, connect=None))
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(900, connect=10))
    ```

    ## Options
    - `max-connect-timeout` (default 30 s)

    ## Fix safety
    No automatic fix.

    ## References
    - [httpx: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    - [tcp(7): tcp_syn_retries](https://man7.org/linux/man-pages/man7/tcp.7.html)
    """

    check_family = Check.CONNECT_TIMEOUT
    summary = "No connect timeout: connecting to an unreachable host hangs"
    message = ("{label} connect timeout is disabled{note}: connecting to an unreachable host hangs until the "
               "operating system gives up")

    VALID = (
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(900, connect=10))"),
        Valid("import httpx\nhttpx.Client()"),
    )
    INVALID = (
        Invalid("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=600))",
                "neither sock_connect, connect nor total is set", at="2:31"),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(900, connect=None))", "connect timeout is disabled",
                at="2:41"),
        Invalid("import httpx\nhttpx.AsyncClient(**{'timeout': None})", "connect timeout is disabled", at="2:19"),
        Invalid("import httpx2\nhttpx2.Client(**dict(timeout=httpx2.Timeout(None)))", "httpx2.Client", at="2:45"),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not judges_timeouts(spec, policy):
            return
        setting = spec.connect_timeout
        if setting is not None and setting.state is State.DISABLED:
            yield self.report(setting.anchor, label=spec.label, note=setting.note)
