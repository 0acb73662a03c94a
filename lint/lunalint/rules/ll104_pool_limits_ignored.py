"""LL104 pool-limits-ignored: a pool setting the library silently ignores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import strict

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class PoolLimitsIgnored(Rule):
    """
    ## What it does
    Checks for pool settings that the library ignores, such as `limits=` passed to an
    `httpx.Client` together with `transport=`.

    ## Why is this bad?
    When `transport=` is given, httpx builds no transport of its own, so the client-level
    `limits=` (and its `keepalive_expiry`) never reaches the pool: the transport's own limits
    apply, `Limits(keepalive_expiry=5.0)` unless set there. The code looks configured and is not.

    ## Example
    ```python
    import httpx

    client = httpx.Client(
        transport=httpx.HTTPTransport(retries=1),
        limits=httpx.Limits(keepalive_expiry=30),
    )
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(
        transport=httpx.HTTPTransport(retries=1, limits=httpx.Limits(keepalive_expiry=30)),
    )
    ```

    ## Options
    None.

    ## Fix safety
    Unsafe: moves the client's `limits=` onto its transport written inline, so that the limits the
    code wrote take effect (they were ignored until then). Help only when the transport is not
    written inline or already has limits.

    ## References
    - [httpx source: `Client.__init__` uses `limits` only to build its default transport](https://github.com/encode/httpx/blob/master/httpx/_client.py)
    """

    check_family = Check.POOL_IDLE
    summary = "Pool limits are ignored because a transport is passed"
    message = "{label}: {argument}= is ignored because {reason}"

    VALID = (
        Valid("import httpx\nhttpx.Client(limits=httpx.Limits(keepalive_expiry=30))"),
        Valid("import httpx\nhttpx.Client(transport=httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=30)))"),
    )
    INVALID = (
        Invalid("import httpx\nhttpx.Client(transport=httpx.HTTPTransport(), limits=httpx.Limits(keepalive_expiry=30))",
                "limits= is ignored", at="2:47",
                fixed='import httpx\nhttpx.Client(transport=httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=30)))'),
        Invalid("import httpx2\nkw = {'transport': httpx2.AsyncHTTPTransport(), 'limits': httpx2.Limits()}\n"
                "httpx2.AsyncClient(**kw)", "limits= is ignored", at="3:20"),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        if not strict(policy) and (spec.one_shot or spec.in_process):
            return  # no pool to limit: opened for one request, or no network at all
        for ignored in spec.ignored:
            yield self.report(ignored.anchor, label=spec.label, argument=ignored.argument, reason=ignored.reason)
