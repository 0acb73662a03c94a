"""LL302 timeout-below-streaming-minimum: a timeout written in code kills long streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid
from lunalint.rules.helpers import evidence_field, long_response, short_timeouts, strict
from lunalint.spec import fmt_seconds

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class TimeoutBelowStreamingMinimum(Rule):
    """
    ## What it does
    Checks for read timeouts and whole-request deadlines, set in code, that are shorter than
    `streaming-min-timeout`.

    ## Why is this bad?
    LLM responses with extended thinking or long generations stream for 3-10 minutes or more and
    can pause for long stretches before the first token. A read timeout shorter than that pause,
    or a total deadline shorter than the whole stream, kills the response midway: the tokens are
    paid for and lost. In httpx the read timeout is per read (the clock restarts on every chunk);
    in aiohttp `total` covers the whole body.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(60))
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))
    ```

    ## Options
    - `streaming-min-timeout` (default 600 s)

    ## Fix safety
    No automatic fix.

    ## References
    - [httpx: Timeouts](https://www.python-httpx.org/advanced/timeouts/)
    - [Anthropic: Long requests](https://docs.anthropic.com/en/api/errors#long-requests)
    """

    check_family = Check.TIMEOUT
    summary = "Timeout is shorter than the streaming minimum and kills long streams"
    message = "{label} {kind} {value}{note} is below the streaming minimum of {minimum}: {consequence}{evidence}"

    VALID = (
        Valid("import openai, httpx2\nopenai.OpenAI(http_client=httpx2.Client(timeout=5))"),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(600, connect=10))"),
        Valid("import httpx\nhttpx.Client(timeout=60)", {"streaming_min_timeout": 60}),
        Valid("import httpx\nhttpx.Client(timeout=httpx.Timeout(10, read=900))"),
    )
    INVALID = (
        Invalid("import openai, httpx2\nopenai.OpenAI(http_client=httpx2.Client(timeout=30))",
                "adopted from http_client", at="2:41"),
        Invalid("import openai\nc = openai.AsyncOpenAI()\nc.with_options(timeout=60)", "with_options()", at="3:16"),
        Invalid("import requests\nrequests.post('https://example.com', timeout=(3.05, 27))", "read timeout 27 s",
                at="2:53"),
        Invalid("import httpx\nhttpx.Client(timeout=httpx.Timeout(60))",
                "read timeout 60 s is below the streaming minimum of 600 s", at="2:36"),
        Invalid("import httpx\nT = 30\nhttpx.AsyncClient(timeout=T)", "read timeout 30 s", at="3:27"),
        Invalid("import httpx\nhttpx.Client(timeout=(5, 120))", "read timeout 120 s", at="2:26"),
        Invalid("import os, httpx\nhttpx.Client(timeout=float(os.getenv('HTTP_TIMEOUT', '60')))",
                "environment default of HTTP_TIMEOUT", at="2:14"),
        Invalid("import httpx\nhttpx.post('https://example.com', timeout=httpx.Timeout(600, read=59.5))",
                "59.5 s", at="2:62"),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        evidence, lines = evidence_field(None if strict(policy) else long_response(spec))
        for short in short_timeouts(spec, policy, explicit=True):
            yield self.report(short.setting.anchor, label=spec.label, kind=short.kind, value=fmt_seconds(short.seconds),
                              note=short.setting.note, minimum=fmt_seconds(policy.streaming_min_timeout),
                              consequence=short.consequence, evidence=evidence, lines=lines)
