"""LL303 default-timeout-too-short: the library's default timeout kills long streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import default_source, short_timeouts
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

    ```rust
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    ```

    ## Options
    - `streaming-min-timeout` (default 600 s)

    ## Fix safety
    Sets the library's timeout with a read timeout of the streaming minimum (at least 600 s) and
    a 10 s connect timeout: `timeout=httpx.Timeout(600, connect=10)` (httpx, httpx2), the
    `httpx2.Timeout` the openai and anthropic SDKs use, `aiohttp.ClientTimeout(total=None,
    sock_read=600, sock_connect=10)`, `timeout=(10, 600)` on each requests call and
    `urllib3.Timeout(connect=10, read=600)`. The fix is safe when the code passed no timeout (a
    library default becomes an explicit value) and unsafe when it replaces a timeout the code
    wrote. There is no fix when `**kwargs` may hold the timeout, or for `session.timeout = ...`
    (requests ignores it: every call needs its own `timeout=`).

    ## References
    - [httpx: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    - [aiohttp: ClientTimeout](https://docs.aiohttp.org/en/stable/client_quickstart.html#timeouts)
    """

    check_family = Check.TIMEOUT
    summary = "The library's default timeout is shorter than the streaming minimum"
    message = "{label} uses the {source} {kind} of {value}, below the streaming minimum of {minimum}: {consequence}"

    VALID = (
        Valid("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=600, sock_connect=10))"),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=5))"),
        Valid("import httpx\nhttpx.Client()", {"streaming_min_timeout": 5}),
        Valid("import httpx\nhttpx.Client(**options)"),
    )
    INVALID = (
        Invalid("import aiohttp\naiohttp.ClientSession()", "uses the aiohttp default total timeout of 300 s", at="2:1",
                fixed='import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))'),
        Invalid("from aiohttp import ClientSession as S\nS(timeout=None)", "timeout=None selects it", at="2:3",
                fixed='from aiohttp import ClientSession as S\nimport aiohttp\nS(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))'),
        Invalid("import httpx\nhttpx.Client()", "uses the httpx default read timeout of 5 s", at="2:1",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("from httpx2 import AsyncClient as AC\nAC(base_url='https://api.example.com')", "httpx2 default",
                at="2:1",
                fixed="from httpx2 import AsyncClient as AC\nimport httpx2\nAC(base_url='https://api.example.com', timeout=httpx2.Timeout(600, connect=10))"),
        Invalid("import httpx\nhttpx.get('https://example.com')", "httpx.get()", at="2:1",
                fixed="import httpx\nhttpx.get('https://example.com', timeout=httpx.Timeout(600, connect=10))"),
    )

    RUST_VALID = (
        Valid('use reqwest::blocking;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<blocking::Client> {\n'
              '    blocking::Client::builder().timeout(Duration::from_secs(600)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Ok(Client::new())\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::blocking;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<blocking::Client> {\n'
                '    Ok(blocking::Client::new())\n'
                '}\n',
                'uses the reqwest::blocking default read timeout of 30 s', at='4:8'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        for short in short_timeouts(spec, policy, explicit=False):
            yield self.report(short.setting.anchor, label=spec.label, source=default_source(short.setting),
                              kind=short.kind, value=fmt_seconds(short.seconds),
                              minimum=fmt_seconds(policy.streaming_min_timeout), consequence=short.consequence)
