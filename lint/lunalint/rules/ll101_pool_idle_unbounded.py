"""LL101 pool-idle-unbounded: idle pooled connections never expire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_pool
from lunalint.spec import State

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class PoolIdleUnbounded(Rule):
    """
    ## What it does
    Checks for connection pools whose idle connections never expire, such as
    `httpx.Limits(keepalive_expiry=None)`.

    One-shot clients and in-process transports are not reported (see LL102).

    ## Why is this bad?
    Load balancers, NAT gateways and firewalls forget idle connections after 60-350 s, often
    without sending a FIN or RST. A pool that keeps idle connections forever hands such a dead
    connection to the next request, which then hangs until its read timeout (600 s with the
    OpenAI/Anthropic SDK defaults, forever without one). An idle expiry shorter than the path's
    idle window makes the pool open a fresh connection instead.

    ## Example
    ```python
    import httpx

    transport = httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=None))
    ```

    ## Use instead
    ```python
    import httpx

    transport = httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=60))
    ```

    ```rust
    let client = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?;
    ```

    ## Options
    - `max-pool-idle-timeout` (default 90 s)

    ## Fix safety
    Sets the idle expiry to 90 s (or the policy's maximum): `keepalive_expiry` in the httpx
    `Limits` that applies (the transport's when a transport is passed; a new `Limits` keeps httpx's
    default pool sizes), `keepalive_timeout` on aiohttp's `TCPConnector`. Safe when the expiry was a
    library default; unsafe when it replaces a value the code wrote. A value reached through a name
    is not edited (the fix is shown as help only).

    ## References
    - [httpx: Resource limits](https://www.python-httpx.org/advanced/resource-limits/)
    - [AWS Network Firewall: TCP idle timeout](https://docs.aws.amazon.com/network-firewall/latest/developerguide/stateful-rule-groups-idle-timeout.html)
    """

    check_family = Check.POOL_IDLE
    summary = "Idle pooled connections never expire"
    message = ("{label} pool idle expiry is unbounded{note}: idle connections never expire, so one a load "
               "balancer or NAT has dropped is reused and hangs")

    VALID = (
        Valid("import aiohttp\naiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))"),
        Valid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=60))"),
        Valid("import httpx\nhttpx.Client()"),
        Valid("import aiohttp\nasync def fetch(url):\n"
              "    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=None)) as s:\n"
              "        return await s.get(url)"),
        Valid("import httpx\ndef make(expiry):\n    return httpx.Client(limits=httpx.Limits(keepalive_expiry=expiry))"),
    )
    INVALID = (
        Invalid("import aiohttp\naiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=None))",
                "keepalive_timeout=None", at="2:54",
                fixed='import aiohttp\naiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=90))'),
        Invalid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=None))", "never expire", at="2:34",
                fixed='import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=90))'),
        Invalid("import httpx2 as h\nL = h.Limits(keepalive_expiry=None)\nh.AsyncClient(limits=L)",
                "httpx2.AsyncClient", at="3:22"),
        Invalid("from httpx import HTTPTransport, Limits, Client\n"
                "Client(transport=HTTPTransport(limits=Limits(keepalive_expiry=float('inf'))))", "never expire",
                at="2:46",
                fixed='from httpx import HTTPTransport, Limits, Client\nClient(transport=HTTPTransport(limits=Limits(keepalive_expiry=90)))'),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().pool_idle_timeout(Duration::from_secs(60)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Ok(Client::new())\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().pool_idle_timeout(None).build()\n'
                '}\n',
                'never expire', at='4:23'),
        Invalid('use reqwest::blocking;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<blocking::Client> {\n'
                '    blocking::Client::builder().pool_idle_timeout(None).build()\n'
                '}\n',
                'reqwest::blocking::Client', at='4:33'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        setting = spec.pool_idle
        if judges_pool(spec, policy) and setting is not None and setting.state is State.DISABLED:
            yield self.report(setting.anchor, label=spec.label, note=setting.note)
