"""LL103 pool-idle-implicit: pool idle expiry left to the library default (explicit mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import default_source, judges_pool, left_to_default

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class PoolIdleImplicit(Rule):
    """
    ## What it does
    With `require-explicit = true`, checks for pooled clients whose idle expiry is left to the
    library default.

    ## Why is this bad?
    Library defaults differ (httpx 5 s, aiohttp 15 s, requests/urllib3 never) and change between
    versions. Teams that want every connection setting visible in code can require it.

    ## Example
    ```python
    import httpx

    client = httpx.Client()
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(limits=httpx.Limits(keepalive_expiry=60))
    ```

    ```rust
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?;
    ```

    ## Options
    - `require-explicit` (default false)

    ## Fix safety
    Sets the idle expiry to 90 s (or the policy's maximum): `keepalive_expiry` in the httpx
    `Limits` that applies (the transport's when a transport is passed; a new `Limits` keeps httpx's
    default pool sizes), `keepalive_timeout` on aiohttp's `TCPConnector`. Safe when the expiry was a
    library default; unsafe when it replaces a value the code wrote. A value reached through a name
    is not edited (the fix is shown as help only).

    ## References
    - [httpx: Resource limits](https://www.python-httpx.org/advanced/resource-limits/)
    """

    check_family = Check.POOL_IDLE
    summary = "Pool idle expiry is left to the library default (explicit mode)"
    message = "{label} pool idle expiry is left to the {source} ({value}); set it explicitly"

    VALID = (
        Valid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=30))", {"require_explicit": True}),
        Valid("import httpx\nhttpx.get('https://example.com', timeout=10)", {"require_explicit": True}),
    )
    INVALID = (
        Invalid("import httpx\nhttpx.Client()", "left to the httpx default (5 s)", {"require_explicit": True},
                at="2:1",
                fixed='import httpx\nhttpx.Client(limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=90))'),
        Invalid("import httpx\nhttpx.Client(limits=httpx.Limits(max_connections=10))", "Limits() default",
                {"require_explicit": True}, at="2:21",
                fixed='import httpx\nhttpx.Client(limits=httpx.Limits(max_connections=10, keepalive_expiry=90))'),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().pool_idle_timeout(Duration::from_secs(60)).build()\n'
              '}\n', {'require_explicit': True}),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Ok(Client::new())\n'
                '}\n',
                'left to the reqwest default (90 s)', {'require_explicit': True}, at='4:8'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        setting = left_to_default(spec.pool_idle) if judges_pool(spec, policy) else None
        if setting is not None:
            yield self.report(setting.anchor, label=spec.label, source=default_source(setting),
                              value=setting.value_text())
