"""LL901 invalid-setting-value: a timeout or pool setting that is not a sensible number of seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.spec import Setting, State

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


def _settings(spec: ClientSpec) -> Iterator[tuple[str, Setting]]:
    named = (("pool idle expiry", spec.pool_idle), ("read timeout", spec.read_timeout),
             ("total timeout", spec.total_timeout), ("connect timeout", spec.connect_timeout),
             ("TCP keepalive idle time", spec.keepalive.idle if spec.keepalive else None))
    for label, setting in named:
        if setting is not None:
            yield label, setting
    for phase, setting in spec.other_timeouts:
        yield f"{phase} timeout", setting


class InvalidSettingValue(Rule):
    """
    ## What it does
    Checks for timeouts, idle expiries and keepalive times that are not a sensible number of
    seconds: strings, booleans, negative numbers, NaN.

    ## Why is this bad?
    Depending on the library such a value raises at run time, silently disables the limit, or
    makes every request time out at once. None of these is what the code means.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout="600")
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))
    ```

    ```rust
    let client = reqwest::Client::builder()
        .read_timeout(Duration::from_secs_f64(600.0))
        .build()?;
    ```

    ## Options
    None.

    ## Fix safety
    Safe: an invalid timeout, pool idle expiry or keepalive idle time is replaced with the value
    the fix of its family writes (see LL301, LL101 and LL203).

    ## References
    - [httpx: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    """

    check_family = Check.OTHER
    summary = "A timeout or idle setting is not a sensible number of seconds"
    message = "{label} {what} {raw} is not a valid number of seconds"

    VALID = (
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))"),
    )
    INVALID = (
        Invalid("import httpx\nhttpx.Client(timeout='600')", "'600' is not a valid number of seconds", at="2:14",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(-1))", "-1", at="2:36",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
        Invalid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=float('nan')))", "nan", at="2:34",
                fixed='import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=90))'),
        Invalid("import httpx\nhttpx.Client(timeout=True)", "True", at="2:14",
                fixed='import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))'),
    )

    RUST_VALID = (
        Valid('use reqwest::Client;\n'
              'use std::time::Duration;\n'
              'fn make() -> reqwest::Result<Client> {\n'
              '    Client::builder().read_timeout(Duration::from_secs_f64(600.5)).build()\n'
              '}\n'),
    )
    RUST_INVALID = (
        Invalid('use reqwest::Client;\n'
                'use std::time::Duration;\n'
                'fn make() -> reqwest::Result<Client> {\n'
                '    Client::builder().read_timeout(Duration::from_secs_f64(-1.0)).build()\n'
                '}\n',
                '-1 is not a valid number of seconds', at='4:23'),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        seen: set[int] = set()
        for label, setting in _settings(spec):
            if setting.state is State.INVALID and id(setting.anchor) not in seen:
                seen.add(id(setting.anchor))
                yield self.report(setting.anchor, label=spec.label, what=label, raw=setting.raw)
