"""LL304 timeout-phase-unbounded: a write or pool-wait phase has no limit."""

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

CONSEQUENCES = {
    "write": "sending a request body to a stalled upstream can hang forever",
    "pool": "waiting for a free connection from an exhausted pool can hang forever",
}


class TimeoutPhaseUnbounded(Rule):
    """
    ## What it does
    Checks for timeouts that bound reading but leave another phase unbounded, such as httpx's
    `timeout=(5, 600)` (a 2-tuple sets connect and read; write and pool stay `None`) or
    `Timeout(600, write=None)`.

    ## Why is this bad?
    A write to an upstream that stopped reading, or a wait for a connection from an exhausted
    pool, then blocks forever even though the read timeout looks right.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=(5, 600))
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=5))
    ```

    ## Options
    None.

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
    - [httpx: Fine tuning the configuration](https://www.python-httpx.org/advanced/timeouts/)
    """

    check_family = Check.TIMEOUT
    summary = "A write or pool-wait timeout is disabled"
    message = "{label} {phase} timeout is disabled{note}: {consequence}"

    VALID = (
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=5))"),
        Valid("import httpx\nhttpx.Client(timeout=None)"),  # reported as LL301 instead
    )
    INVALID = (
        Invalid("import httpx\nhttpx.Client(timeout=(5, 600))", "write timeout is disabled", at="2:23",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=5, pool=None))",
                "waiting for a free connection", at="2:52",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not judges_timeouts(spec, policy):
            return
        read = spec.read_timeout
        if read is None or read.state is State.DISABLED:
            return  # no read limit at all is LL301's finding
        for phase, setting in spec.other_timeouts:
            if setting.state is State.DISABLED:
                yield self.report(setting.anchor, label=spec.label, phase=phase, note=setting.note,
                                  consequence=CONSEQUENCES.get(phase, "that phase can hang forever"))
