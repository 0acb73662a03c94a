"""LL403 connect-timeout-implicit: the connect timeout is left to the library default (explicit mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import default_source, judges_timeouts, left_to_default

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class ConnectTimeoutImplicit(Rule):
    """
    ## What it does
    With `require-explicit = true`, checks for clients and requests whose connect timeout is left
    to the library default.

    ## Why is this bad?
    Defaults differ (httpx 5 s, aiohttp 30 s per socket connect, requests none) and a single
    `timeout=` value silently changes them. Teams that want every setting visible in code can
    require it.

    ## Example
    ```python
    import httpx

    client = httpx.Client()
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))
    ```

    ```rust
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    ```

    ## Options
    - `require-explicit` (default false)

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
    """

    check_family = Check.CONNECT_TIMEOUT
    summary = "The connect timeout is left to the library default (explicit mode)"
    message = "{label} connect timeout is left to the {source} ({value}); set it explicitly"

    VALID = (
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))", {"require_explicit": True}),
    )
    INVALID = (
        Invalid("import httpx\nhttpx.Client()", "connect timeout is left to the httpx default (5 s)",
                {"require_explicit": True}, at="2:1",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().connect_timeout(Duration::from_secs(10)).build()\n'
              '}\n', {'require_explicit': True}),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Ok(Client::new())\n'
                '}\n',
                'connect timeout is left to the reqwest default (no limit)', {'require_explicit': True}, at='4:8'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not judges_timeouts(spec, policy):
            return
        setting = left_to_default(spec.connect_timeout)
        if setting is not None:
            yield self.report(setting.anchor, label=spec.label, source=default_source(setting),
                              value=setting.value_text())
