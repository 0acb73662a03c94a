"""LL902 unused-suppression: a lunalint suppression comment that names an unknown rule or suppresses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lunalint.report import Check
from lunalint.rules.base import Finding, Invalid, Rule, Valid

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec


class UnusedSuppression(Rule):
    """
    ## What it does
    Checks for lunalint suppression comments that name a rule that does not exist, or that
    suppress no finding of a rule that ran: `# lunalint: ignore[...]`, `# lunalint: noqa: ...`,
    `# lunalint: skip-file`, and the `LL` codes of a `# noqa: ...` comment (Ruff's RUF100 idea).

    It is not in the default selection: select it by code, name, `LL9` or `ALL`. A bare
    `# noqa` and other tools' codes in a `# noqa` comment are never reported (other linters read
    them too), nor are codes of rules that did not run.

    ## Why is this bad?
    A suppression with a misspelt code suppresses nothing, and one left behind after the client
    was fixed will silently hide the next misconfiguration on that line.

    ## Example
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))  # lunalint: ignore[LL3O1]
    ```

    ## Use instead
    ```python
    import httpx

    client = httpx.Client(timeout=httpx.Timeout(600, connect=10))
    ```

    ## Options
    None.

    ## Fix safety
    No automatic fix.

    ## References
    - [Ruff: unused-noqa (RUF100)](https://docs.astral.sh/ruff/rules/unused-noqa/)
    """

    check_family = Check.OTHER
    summary = "A suppression comment names an unknown rule or suppresses nothing"
    # Filled by ``lunalint.suppress`` (the comments are judged after the other rules ran).
    message = "unused {where}: {problems}"
    VALID = (
        Valid("import httpx\nclient = httpx.Client(timeout=600)  # noqa: E501\n"),
        Valid("import httpx\nclient = httpx.Client(timeout=600)  # noqa\n"),
    )
    INVALID = (
        Invalid("import httpx\nclient = httpx.Client(timeout=600)  # lunalint: ignore[LL3O1]\n", "unknown rule",
                at="2:37"),
        Invalid("print('no client')  # lunalint: ignore\n", "suppresses no finding", at="1:21"),
        Invalid("# lunalint: noqa: not-a-rule\nimport httpx\n", "unknown rule 'not-a-rule'", at="1:1"),
    )

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        return iter(())  # judged on the file's comments, after the other rules (lunalint.suppress)
