"""The fix planners of the library entries, by ``ClientSpec.library``, and the one entry point.

Each planner module (a sibling of its library's module) defines ``plan(context) -> Plan | None``
(``fixkit.py`` describes plans). Rules stay library-agnostic: a finding's family (timeout, pool,
keepalive ...) comes from its rule code, and the spec's library picks the planner.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

    from lunalint.config import Policy
    from lunalint.judge import Judged
    from lunalint.libraries.fixkit import Plan
    from lunalint.spec import ClientSpec

__all__ = ["PLANNERS", "plan_fix"]

PLANNERS: dict[str, str] = {
    "httpx": "lunalint.libraries.httpx_fix",
    "httpx2": "lunalint.libraries.httpx_fix",
    "openai": "lunalint.libraries.sdks_fix",
    "anthropic": "lunalint.libraries.sdks_fix",
    "aiohttp": "lunalint.libraries.aiohttp_fix",
    "requests": "lunalint.libraries.requests_fix",
    "urllib3": "lunalint.libraries.requests_fix",
}


def _family(code: str, anchor: object, spec: ClientSpec) -> str | None:
    from lunalint.libraries.fixkit import FAMILY

    if code != "LL901":
        return FAMILY.get(code)
    timeouts = [spec.read_timeout, spec.total_timeout, spec.connect_timeout, *(s for _, s in spec.other_timeouts)]
    if any(setting is not None and setting.anchor is anchor for setting in timeouts):
        return "timeout"
    if spec.pool_idle is not None and spec.pool_idle.anchor is anchor:
        return "pool"
    if spec.keepalive is not None and spec.keepalive.idle is not None and spec.keepalive.idle.anchor is anchor:
        return "keepalive-idle"
    return None


def plan_fix(judged: Judged, policy: Policy, parent: Callable[[object], object | None],
             module_of: Callable[[cst.BaseExpression], str | None]) -> Plan | None:
    """The fix of one finding, planned by the library of its spec (None: no fix)."""
    from lunalint.libraries.fixkit import FixContext, fix_values

    rule, finding, spec = judged
    family = _family(rule.code, finding.anchor, spec)
    planner = PLANNERS.get(spec.library)
    if family is None or planner is None:
        return None
    context = FixContext(rule.code, family, finding.anchor, spec, fix_values(policy), parent, module_of)
    result: Plan | None = importlib.import_module(planner).plan(context)
    return result
