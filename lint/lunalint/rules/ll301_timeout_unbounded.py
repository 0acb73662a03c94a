"""LL301 timeout-unbounded: nothing limits how long a response may stall."""

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


class TimeoutUnbounded(Rule):
    """
    ## What it does
    Checks for clients and requests with no read timeout and no whole-request deadline, such as
    `httpx.Client(timeout=None)`, `requests.get(url)` or `OpenAI(timeout=None)`.

    An unbounded timeout is reported whatever the request, streams or not; only a client whose
    transport is in-process (`httpx.MockTransport`, `ASGITransport`, `WSGITransport`) is not, since
    it has no network to wait on (`streaming-scope = "all"` reports it too).

    ## Why is this bad?
    A response that stops arriving (a stuck upstream, a connection silently dropped by a NAT)
    then blocks the caller forever: the worker, the request slot and the pooled connection are
    never freed. A long limit (600 s or more) keeps long streams alive and still ends a hang.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=None)
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))
    ```

    ```rust
    // read_timeout bounds each read (and the wait for the response head), not the whole stream
    let client = reqwest::Client::builder()
        .read_timeout(Duration::from_secs(600))
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
    - [requests: Timeouts](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)
    """

    check_family = Check.TIMEOUT
    summary = "No read timeout and no deadline: a stalled response hangs forever"
    message = "{label} {what}{note}: a stalled response hangs forever"

    VALID = (
        Valid("import openai\nopenai.OpenAI()"),
        Valid("import requests\nrequests.get('https://example.com', timeout=(10, 600))"),
        Valid("import aiohttp\nasync def f(s: aiohttp.ClientSession):\n    await s.get('u', timeout=None)"),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))"),
        Valid("import httpx\nhttpx.Client(timeout=get_timeout())"),
        Valid("import httpx\nhttpx.Client(transport=httpx.MockTransport(handler), timeout=None)"),
    )
    INVALID = (
        Invalid("import openai\nopenai.OpenAI(timeout=None)", "timeout=None removes every openai timeout", at="2:15",
                fixed='import openai\nimport httpx2\nopenai.OpenAI(timeout=httpx2.Timeout(600, connect=10))'),
        Invalid("import anthropic\nc = anthropic.Anthropic()\n"
                "c.messages.create(model='m', max_tokens=1, messages=[], timeout=None)",
                "Anthropic.messages.create()", at="3:57",
                fixed="import anthropic\nimport httpx2\nc = anthropic.Anthropic()\nc.messages.create(model='m', max_tokens=1, messages=[], timeout=httpx2.Timeout(600, connect=10))"),
        Invalid("import requests\nrequests.get('https://example.com')", "requests waits forever", at="2:1",
                fixed="import requests\nrequests.get('https://example.com', timeout=(10, 600))"),
        Invalid("import requests\nwith requests.Session() as s:\n    s.post('https://example.com')",
                "requests.Session has no timeout setting", at="3:5",
                fixed="import requests\nwith requests.Session() as s:\n    s.post('https://example.com', timeout=(10, 600))"),
        Invalid("import requests\ns = requests.Session()\ns.timeout = 30", "session.timeout = 30 is ignored", at="3:1"),
        Invalid("import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
                "        await s.get('u', timeout=None)", "disables every timeout", at="4:26",
                fixed="import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n        await s.get('u', timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))"),
        Invalid("import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_connect=5))",
                "ClientTimeout() leaves sock_read unset", at="2:31",
                fixed='import aiohttp\naiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=600, sock_connect=10))'),
        Invalid("import httpx\nhttpx.AsyncClient(timeout=None)", "read timeout is disabled", at="2:19",
                fixed='import httpx\nhttpx.AsyncClient(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(None, connect=5))", "hangs forever", at="2:36",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.stream('GET', 'https://example.com', timeout=None)", "httpx.stream()", at="2:44",
                fixed="import httpx\nhttpx.stream('GET', 'https://example.com', timeout=httpx.Timeout(600, connect=10))"),
        Invalid("import httpx\nwith httpx.Client(timeout=httpx.Timeout(600, connect=5)) as c:\n"
                "    c.get('https://example.com', timeout=None)", "Client.get()", at="3:34",
                fixed="import httpx\nwith httpx.Client(timeout=httpx.Timeout(600, connect=5)) as c:\n    c.get('https://example.com', timeout=httpx.Timeout(600, connect=10))"),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().read_timeout(Duration::from_secs(600)).build()\n'
              '}\n'),
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().timeout(Duration::from_secs(900)).build()\n'
              '}\n'),
        Valid('use reqwest::blocking;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<blocking::Client> {\n'
              '    blocking::Client::builder().build()\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Ok(Client::new())\n'
                '}\n',
                'read timeout and total timeout are disabled (reqwest default)', at='4:8'),
        Invalid('use reqwest::blocking;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<blocking::Client> {\n'
                '    blocking::Client::builder().timeout(None).build()\n'
                '}\n',
                'read timeout is disabled', at='4:33'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not judges_timeouts(spec, policy):
            return
        read, total = spec.read_timeout, spec.total_timeout
        if read is None and total is None:
            return
        read_open = read is None or read.state is State.DISABLED
        total_open = total is None or total.state is State.DISABLED
        if read_open and total_open:
            setting = read if read is not None else total
            assert setting is not None
            notes = dict.fromkeys(s.note for s in (read, total) if s is not None and s.note)
            what = "read timeout is disabled" if read is not None else "timeout is disabled"
            if total is not None and read is not None:
                what = "read timeout and total timeout are disabled"
            yield self.report(setting.anchor, label=spec.label, what=what, note="; ".join(notes))
