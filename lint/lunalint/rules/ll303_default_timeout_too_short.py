"""LL303 default-timeout-too-short: the library's default timeout kills long streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import default_source, evidence_field, long_response, short_timeouts, strict
from lunalint.spec import fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class DefaultTimeoutTooShort(Rule):
    """
    ## What it does
    Checks for clients and requests that leave the timeout to a library default shorter than
    `streaming-min-timeout`: httpx's 5 s, aiohttp's 300 s whole-request `total`.

    ## Why is this bad?
    The default looks like a safe choice and is not one for LLM traffic: httpx gives up after a 5 s
    pause between chunks (a slow first token with extended thinking is longer), and aiohttp ends
    every response after 300 s, including streams still producing tokens.

    ## Example
    ```python
    import httpx

    client = httpx.AsyncClient()
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.AsyncClient(timeout=httpx.Timeout(600, connect=10))
    ```

    ## Options
    - `streaming-min-timeout` (default 600 s)

    ## Fix safety
    No automatic fix.

    ## References
    - [httpx: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    - [aiohttp: ClientTimeout](https://docs.aiohttp.org/en/stable/client_quickstart.html#timeouts)
    """

    check_family = Check.TIMEOUT
    summary = "The library's default timeout is shorter than the streaming minimum"
    message = ("{label} uses the {source} {kind} of {value}, below the streaming minimum of {minimum}: "
               "{consequence}{evidence}")

    VALID = (
        Valid("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=600, sock_connect=10))"),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=5))"),
        Valid("import httpx\nhttpx.Client()", {"streaming_min_timeout": 5}),
        Valid("import httpx\nhttpx.Client(**options)"),
    )
    INVALID = (
        Invalid("import aiohttp\naiohttp.ClientSession()", "uses the aiohttp default total timeout of 300 s", at="2:1"),
        Invalid("from aiohttp import ClientSession as S\nS(timeout=None)", "timeout=None selects it", at="2:3"),
        Invalid("import httpx\nhttpx.Client()", "uses the httpx default read timeout of 5 s", at="2:1"),
        Invalid("from httpx2 import AsyncClient as AC\nAC(base_url='https://api.example.com')", "httpx2 default",
                at="2:1"),
        Invalid("import httpx\nhttpx.get('https://example.com')", "httpx.get()", at="2:1"),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        evidence, lines = evidence_field(None if strict(policy) else long_response(spec))
        for short in short_timeouts(spec, policy, explicit=False):
            yield self.report(short.setting.anchor, label=spec.label, source=default_source(short.setting),
                              kind=short.kind, value=fmt_seconds(short.seconds),
                              minimum=fmt_seconds(policy.streaming_min_timeout), consequence=short.consequence,
                              evidence=evidence, lines=lines)
