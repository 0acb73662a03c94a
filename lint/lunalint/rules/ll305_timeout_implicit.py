"""LL305 timeout-implicit: the timeout is left to the library default (explicit mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import default_source, judges_timeouts, left_to_default

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class TimeoutImplicit(Rule):
    """
    ## What it does
    With `require-explicit = true`, checks for clients and requests whose timeout is left to the
    library default, even where that default is long enough (the OpenAI and Anthropic SDKs' 600 s).

    ## Why is this bad?
    Defaults change between versions and differ between libraries that look alike (httpx 5 s,
    the SDKs 600 s, requests none at all). Teams that want every setting visible in code can
    require it.

    ## Example
    ```python
    import httpx

    httpx.get("https://example.com")
    ```

    ## Use instead
    ```python
    import httpx

    httpx.get("https://example.com", timeout=httpx.Timeout(600, connect=10))
    ```

    ```rust
    let client = reqwest::Client::builder()
        .read_timeout(Duration::from_secs(600))
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

    check_family = Check.TIMEOUT
    summary = "The timeout is left to the library default (explicit mode)"
    message = "{label} timeout is left to the {source} ({value}); set it explicitly"

    VALID = (
        Valid("import httpx\nhttpx.get('https://example.com', timeout=httpx.Timeout(600, connect=10))",
              {"require_explicit": True}),
    )
    INVALID = (
        Invalid("import httpx\nhttpx.get('https://example.com')", "timeout is left to the httpx default",
                {"require_explicit": True}, at="2:1",
                fixed="import httpx\nhttpx.get('https://example.com', timeout=httpx.Timeout(600, connect=10))"),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().read_timeout(Duration::from_secs(600)).build()\n'
              '}\n', {'require_explicit': True}),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Ok(Client::new())\n'
                '}\n',
                'timeout is left to the reqwest default', {'require_explicit': True}, at='4:8'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not judges_timeouts(spec, policy):
            return
        setting = left_to_default(spec.read_timeout or spec.total_timeout)
        if setting is not None:
            yield self.report(setting.anchor, label=spec.label, source=default_source(setting),
                              value=setting.value_text())
