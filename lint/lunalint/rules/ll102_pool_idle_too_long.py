"""LL102 pool-idle-too-long: idle expiry longer than the path's idle window."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_pool
from lunalint.spec import fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class PoolIdleTooLong(Rule):
    """
    ## What it does
    Checks for connection pools whose idle expiry is longer than `max-pool-idle-timeout`.

    With `streaming-scope = "llm"` (the default), a client opened for one request and closed
    (`with httpx.Client() as c: return c.get(url)`) never reuses a pooled connection, and a client
    on an in-process transport has no connection at all: neither is reported.

    ## Why is this bad?
    An idle connection is only safe to reuse while every hop on the path still remembers it.
    Cloud load balancers and NAT gateways drop idle flows after 60-350 s, usually silently. With
    an expiry of, say, 300 s the pool reuses connections that have already been dropped, and the
    request hangs until the read timeout.

    ## Example
    ```python
    import httpx

    limits = httpx.Limits(keepalive_expiry=300)
    ```

    ## Use instead
    ```python
    import httpx

    limits = httpx.Limits(keepalive_expiry=60)
    ```

    ```rust
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?;
    ```

    ## Options
    - `max-pool-idle-timeout` (default 90 s)
    - `streaming-scope` (default `"llm"`; `"all"` also judges one-shot clients and in-process transports)

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
    summary = "Pool idle expiry is longer than the maximum"
    message = ("{label} pool idle expiry {value}{note} exceeds the maximum of {maximum}: connections idle that "
               "long may already be dropped by a load balancer or NAT and hang when reused")

    VALID = (
        Valid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=90))"),
        Valid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=300))",
              {"max_pool_idle_timeout": 400}),
        Valid("import httpx\ndef fetch(url):\n    with httpx.Client(limits=httpx.Limits(keepalive_expiry=300)) as c:\n"
              "        return c.get(url)"),
    )
    INVALID = (
        Invalid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=300))",
                "pool idle expiry 300 s exceeds the maximum of 90 s", at="2:34",
                fixed='import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=90))'),
        Invalid("import httpx as hx\nEXPIRY = 5 * 60\nhx.AsyncClient(limits=hx.Limits(keepalive_expiry=EXPIRY))",
                "300 s", at="3:33",
                fixed='import httpx as hx\nEXPIRY = 5 * 60\nhx.AsyncClient(limits=hx.Limits(keepalive_expiry=90))'),
        Invalid("import os, httpx\n"
                "httpx.Client(limits=httpx.Limits(keepalive_expiry=float(os.getenv('EXPIRY', '120'))))",
                "environment default of EXPIRY", at="2:34",
                fixed='import os, httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=90))'),
        Invalid("import httpx\ndef fetch(url):\n"
                "    with httpx.Client(limits=httpx.Limits(keepalive_expiry=300)) as c:\n        return c.get(url)",
                "pool idle expiry 300 s", {"streaming_scope": "all"}, at="3:43",
                fixed='import httpx\ndef fetch(url):\n    with httpx.Client(limits=httpx.Limits(keepalive_expiry=90)) as c:\n        return c.get(url)'),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().pool_idle_timeout(Duration::from_secs(90)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Ok(Client::new())\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().pool_idle_timeout(Duration::from_secs(300)).build()\n'
              '}\n', {'max_pool_idle_timeout': 400}),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'const IDLE: u64 = 5 * 60;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().pool_idle_timeout(Duration::from_secs(IDLE)).build()\n'
                '}\n',
                'pool idle expiry 300 s exceeds the maximum of 90 s', at='5:23'),
        Invalid('use reqwest::ClientBuilder;\n'
                'use std::time::Duration;\n'
                'pub struct HttpClientConfig {\n'
                '    pub pool_idle_timeout_secs: u64,\n'
                '}\n'
                'impl Default for HttpClientConfig {\n'
                '    fn default() -> Self {\n'
                '        Self { pool_idle_timeout_secs: 600 }\n'
                '    }\n'
                '}\n'
                'pub fn create_client(config: &HttpClientConfig) -> reqwest::Result<reqwest::Client> {\n'
                '    ClientBuilder::new()\n'
                '        .pool_idle_timeout(Duration::from_secs(config.pool_idle_timeout_secs))\n'
                '        .build()\n'
                '}\n',
                '600 s (HttpClientConfig::default())', at='13:10'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        setting = spec.pool_idle
        if not judges_pool(spec, policy) or setting is None or not setting.finite or setting.seconds is None:
            return
        if (setting.least or 0.0) > policy.max_pool_idle_timeout:
            yield self.report(setting.anchor, label=spec.label, value=fmt_seconds(setting.least or 0.0), note=setting.note,
                              maximum=fmt_seconds(policy.max_pool_idle_timeout))
