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
    httpx and the OpenAI/Anthropic SDKs disables the connect timeout too),
    `httpx.Timeout(600, connect=None)`, or a requests/urllib3 call without `timeout=`.

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

    ```rust
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()?;
    ```

    ## Options
    - `max-connect-timeout` (default 30 s)

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
                "neither sock_connect, connect nor total is set", at="2:31",
                fixed='import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))'),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(900, connect=None))", "connect timeout is disabled",
                at="2:41",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.AsyncClient(**{'timeout': None})", "connect timeout is disabled", at="2:19"),
        Invalid("import httpx2\nhttpx2.Client(**dict(timeout=httpx2.Timeout(None)))", "httpx2.Client", at="2:45"),
        Invalid("import requests\nrequests.get('https://example.com')", "no timeout= argument: requests waits forever",
                at="2:1", fixed="import requests\nrequests.get('https://example.com', timeout=(10, 600))"),
        Invalid("import openai\ndef make(timeout=None):\n    return openai.OpenAI(timeout=timeout)",
                "by default: parameter `timeout` defaults to None", at="3:34"),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().connect_timeout(Duration::from_secs(10)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().timeout(Duration::from_secs(20)).build()\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Ok(Client::new())\n'
                '}\n',
                'connect timeout is disabled (reqwest default)', at='4:8'),
        Invalid('use reqwest::blocking;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<blocking::Client> {\n'
                '    blocking::Client::builder().timeout(None).connect_timeout(None).build()\n'
                '}\n',
                'connect timeout is disabled', at='4:47'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not judges_timeouts(spec, policy):
            return
        setting = spec.connect_timeout
        if setting is not None and setting.state is State.DISABLED:
            yield self.report(setting.anchor, label=spec.label, note=setting.note)
