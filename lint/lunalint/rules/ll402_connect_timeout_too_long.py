"""LL402 connect-timeout-too-long: failing to connect takes longer than the maximum."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import judges_timeouts
from lunalint.spec import fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class ConnectTimeoutTooLong(Rule):
    """
    ## What it does
    Checks for connect timeouts longer than `max-connect-timeout`. The most common cause is a
    single number, `timeout=600`, which in httpx and the SDKs sets every phase, connect included.

    ## Why is this bad?
    A healthy upstream accepts a connection in milliseconds. A connect that takes more than a few
    seconds means the host is down or unreachable, and waiting 600 s for it holds the caller (and
    its retries) far longer than failing fast and retrying.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=600)
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
    """

    check_family = Check.CONNECT_TIMEOUT
    summary = "Connect timeout is longer than the maximum"
    message = ("{label} connect timeout {value}{note} exceeds the maximum of {maximum}: an unreachable host "
               "holds the request that long before it can fail over")

    VALID = (
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=30))"),
        Valid("import httpx\nhttpx.Client(timeout=600)", {"max_connect_timeout": 600}),
    )
    INVALID = (
        Invalid("import httpx\nhttpx.Client(timeout=600)",
                "connect timeout 600 s (a single timeout value sets every phase, connect included) exceeds", at="2:14",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=60))",
                "connect timeout 60 s exceeds the maximum of 30 s", at="2:41",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600))", "set by the Timeout default", at="2:36",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().connect_timeout(Duration::from_secs(10)).timeout(Duration::from_secs(600)).build()\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().connect_timeout(Duration::from_secs(60)).build()\n'
                '}\n',
                'connect timeout 60 s exceeds the maximum of 30 s', at='4:23'),
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().timeout(Duration::from_secs(600)).build()\n'
                '}\n',
                '600 s (the total timeout also bounds connecting)', at='4:23'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not judges_timeouts(spec, policy):
            return
        setting = spec.connect_timeout
        if setting is None or not setting.finite or setting.seconds is None:
            return
        if (setting.least or 0.0) > policy.max_connect_timeout:
            yield self.report(setting.anchor, label=spec.label, value=fmt_seconds(setting.least or 0.0), note=setting.note,
                              maximum=fmt_seconds(policy.max_connect_timeout))
