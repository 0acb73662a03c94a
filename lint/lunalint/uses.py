"""Extract: how a client is used in its function or class: opened for one request, or only for
requests that generate nothing.

``one_shot_uses`` and ``closed_after_one_request`` find clients opened for exactly one request and
closed (by ``with``/``async with``, or by ``close()``/``aclose()`` in the same function; a retry or
fallback loop that leaves on the first success is one request): such a client never reuses a
pooled connection. ``only_side_requests`` finds SDK clients whose every use is a request that
generates nothing (``client.embeddings.create(...)``): being an SDK client says nothing of long
responses then.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from lunalint.evidence import walk
from lunalint.overrides import subclasses_here
from lunalint.scope import ValueOf

if TYPE_CHECKING:
    from lunalint.scope import ModuleScan, Scope

__all__ = ["closed_after_one_request", "is_generation", "one_shot_uses", "only_side_requests"]


def one_shot_uses(statement: cst.With, index: int, name: str) -> tuple[list[cst.Name], int, bool]:
    """The uses of ``name`` after the ``index``-th item of ``statement`` (later items, then the
    body): every use, the most uses any one path through the body makes (the branches of an
    ``if`` or a ``match`` are alternatives), and whether a use may run more than once (inside a
    loop, comprehension, nested function or class)."""
    uses: list[cst.Name] = []
    repeated: list[bool] = []
    most = sum(_uses(root, name, False, uses, repeated) for root in (*statement.items[index + 1:], statement.body))
    return uses, most, any(repeated)


# SDK resources whose requests generate nothing: one JSON answer, never a long stream.
_SIDE_RESOURCES = re.compile(r"^(?:beta\.)?(?:(?:embeddings|moderations|models|files|batches|fine_tuning|vector_stores"
                             r"|uploads|containers|evals|webhooks)\.|messages\.(?:batches|count_tokens)\b)")


def is_generation(method: str) -> bool:
    """Whether an SDK request (``chat.completions.create``) may generate: not ``embeddings.create``,
    ``files.create``, ``messages.batches.retrieve`` and the like."""
    return _SIDE_RESOURCES.match(method) is None


def only_side_requests(call: cst.Call, scope: Scope, scan: ModuleScan, side: set[int]) -> bool:
    """Whether the client ``call`` makes is bound to a name of its function, or to ``self.<name>``
    in its class (with no subclass in the module), whose every other use is the receiver of a
    request that generates nothing (``side``)."""
    owner = scope.enclosing_class()
    if scope.kind == "function" and isinstance(scope.node, cst.FunctionDef):
        names = [name for name, bindings in scope.names.items()
                 if len(bindings) == 1 and isinstance(bindings[0], ValueOf) and bindings[0].node is call]
        if len(names) == 1:
            uses: list[cst.Name] = []
            _uses(scope.node.body, names[0], False, uses, [])
            return _side_only(uses, side)
    if owner is None or not isinstance(owner.node, cst.ClassDef) or owner.parent is None:
        return False
    attributes = [name for name, bindings in owner.self_attrs.items()
                  if len(bindings) == 1 and isinstance(bindings[0], ValueOf) and bindings[0].node is call]
    if len(attributes) != 1 or len(subclasses_here(owner, scan.module_scope)) > 1:
        return False
    found = [node for node in walk(owner.node.body) if isinstance(node, cst.Attribute)
             and node.attr.value == attributes[0] and isinstance(node.value, cst.Name)]
    return _side_only(found, side)


def _side_only(uses: Sequence[cst.CSTNode], side: set[int]) -> bool:
    """Every use but one (the name the assignment binds) is a side request's receiver, and there is one."""
    others = [use for use in uses if id(use) not in side]
    return len(others) == 1 and len(uses) > 1


def closed_after_one_request(call: cst.Call, scope: Scope, request_receivers: set[int]) -> bool:
    """Whether the client ``call`` makes is bound once to a name of the function ``scope`` that makes
    one request on it (not in a loop) and closes it (``client.close()``, ``await client.aclose()``,
    in a ``finally`` or after), with no other use: a client opened for one request."""
    if scope.kind != "function" or not isinstance(scope.node, cst.FunctionDef):
        return False
    names = [name for name, bindings in scope.names.items()
             if len(bindings) == 1 and isinstance(bindings[0], ValueOf) and bindings[0].node is call]
    if len(names) != 1:
        return False
    name = names[0]
    closes = {id(node.func.value) for node in walk(scope.node.body) if isinstance(node, cst.Call)
              and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("close", "aclose")
              and isinstance(node.func.value, cst.Name) and node.func.value.value == name}
    uses: list[cst.Name] = []
    repeated: list[bool] = []
    _uses(scope.node.body, name, False, uses, repeated)
    requests = [again for use, again in zip(uses, repeated) if id(use) in request_receivers]
    others = [use for use in uses if id(use) not in request_receivers and id(use) not in closes]
    # the other use is the name the assignment binds
    return bool(closes) and requests == [False] and len(others) == 1


_REPEATING = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.FunctionDef,
              cst.Lambda, cst.ClassDef)


def _each_pass_exits(block: cst.BaseSuite) -> bool:
    """Whether a loop body leaves the loop when its last statement (or, for a ``try``, the last
    statement of its body) runs: a ``return`` or ``break``."""
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return False
    last = block.body[-1]
    if isinstance(last, cst.Try):
        return _each_pass_exits(last.body)
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], (cst.Return, cst.Break))


def _uses(node: cst.CSTNode, name: str, again: bool, found: list[cst.Name], repeated: list[bool]) -> int:
    """Collect the uses of ``name`` under ``node``; return the most uses on one path through it."""
    if isinstance(node, cst.Name):
        if node.value == name:
            found.append(node)
            repeated.append(again)
            return 1
        return 0
    if isinstance(node, cst.Attribute):  # ``x.name``: only ``x`` may be a use
        return _uses(node.value, name, again, found, repeated)
    if isinstance(node, cst.Arg):  # ``f(name=...)``: the keyword is not a use
        return _uses(node.value, name, again, found, repeated)
    if isinstance(node, cst.If):
        test = _uses(node.test, name, again, found, repeated)
        body = _uses(node.body, name, again, found, repeated)
        orelse = _uses(node.orelse, name, again, found, repeated) if node.orelse is not None else 0
        return test + max(body, orelse)
    if isinstance(node, cst.Match):
        subject = _uses(node.subject, name, again, found, repeated)
        return subject + max((_uses(case, name, again, found, repeated) for case in node.cases), default=0)
    if isinstance(node, (cst.For, cst.While)) and _each_pass_exits(node.body):
        # ``for attempt in range(3): try: return c.post(...)``: a retry or fallback loop that leaves
        # on the first success makes one request
        return sum(_uses(child, name, again, found, repeated) for child in node.children)
    again = again or isinstance(node, _REPEATING)
    return sum(_uses(child, name, again, found, repeated) for child in node.children)
