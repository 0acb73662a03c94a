"""What a rule is: a family, a docstring, examples, message templates, and a check of one ClientSpec.

A rule's code, name and explicit mode are written once, in the index of ``lunalint.rules``: the
index must be readable without importing any rule (a run answered from the cache and configuration
checking import none), so the rule class takes them from it, by its module's name.

A rule's messages are data (Ruff's ``Violation::message``, flake8-bugbear's error codes): a
template with named fields, filled by ``Rule.report`` from values. The ``{note}`` field is
optional context: ``" (environment default of X)"``, or nothing when the note is empty.
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from lunalint.fix import FIXABLE_CODES
from lunalint.report import Check
from lunalint.rules import RULES
from lunalint.spec import Anchor

if TYPE_CHECKING:
    from lunalint.config import Policy
    from lunalint.spec import ClientSpec

__all__ = ["Finding", "Invalid", "Rule", "Valid", "fill", "template_fields"]

_INDEX = {info.module: info for info in RULES}


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one node: the engine adds code, name and position."""

    anchor: Anchor = field(repr=False, compare=False)
    message: str
    # Anchors whose line placement writes into the message, one per ``spec.LINE_MARK``, in order.
    lines: tuple[Anchor, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Valid:
    """Code on which the rule must stay silent (run as a test)."""

    code: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report (run as a test): ``message`` is a substring of the message, ``at``
    the ``line:column`` it is reported at (1-based, as in the output): the most specific node."""

    code: str
    message: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    _: KW_ONLY
    at: str
    # The code after ``lunalint check --fix --unsafe-fixes`` with only this rule selected (None: not
    # checked); a second fix must change nothing.
    fixed: str | None = None


@lru_cache(maxsize=None)
def template_fields(template: str) -> frozenset[str]:
    """The named fields of a message template; positional (``{}``, ``{0}``) fields are refused."""
    names = frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)
    if not all(name.isidentifier() for name in names):
        raise ValueError(f"message template fields must be named: {template!r}")
    return names


def fill(template: str, fields: Mapping[str, object]) -> str:
    """The template with its fields filled: exactly its fields, no more, no fewer."""
    expected = template_fields(template)
    if fields.keys() != expected:
        raise TypeError(f"message template wants {sorted(expected)}, got {sorted(fields)}: {template!r}")
    values = dict(fields)
    if values.get("note"):
        values["note"] = f" ({values['note']})"
    return template.format_map(values)


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement ``check``."""

    # From the index in ``lunalint.rules``, by module name (see the module docstring).
    code: ClassVar[str]
    name: ClassVar[str]
    # Reported only with ``require-explicit = true`` (or when selected by its exact code or name).
    explicit_only: ClassVar[bool] = False
    check_family: ClassVar[Check]
    summary: ClassVar[str]
    # The message template; ``variants`` words some findings differently, by key.
    message: ClassVar[str]
    variants: ClassVar[Mapping[str, str]] = {}
    has_fix: ClassVar[bool] = False
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()
    # The same, in Rust (reqwest). A first line ``// Cargo.lock: reqwest 0.12.28`` makes the test
    # put a ``Cargo.lock`` locking that version beside the example.
    RUST_VALID: ClassVar[tuple[Valid, ...]] = ()
    RUST_INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        info = _INDEX.get(cls.__module__)
        if info is None:
            if cls.__module__.startswith("lunalint.rules.ll"):
                raise TypeError(f"{cls.__module__} is not in the rule index of lunalint.rules")
            return
        written = {"code", "name", "explicit_only"} & vars(cls).keys()
        if written:
            raise TypeError(f"{cls.__qualname__} sets {', '.join(sorted(written))}: the rule index holds them")
        cls.code, cls.name, cls.explicit_only = info.code, info.name, info.explicit_only
        cls.has_fix = info.code in FIXABLE_CODES

    def check(self, spec: ClientSpec, policy: Policy) -> Iterator[Finding]:
        raise NotImplementedError

    def report(self, anchor: Anchor, *, variant: str = "", lines: tuple[Anchor, ...] = (),
               **fields: object) -> Finding:
        """A finding at ``anchor``: the message template (or its ``variant``) filled with ``fields``;
        ``lines`` are the anchors of the ``spec.LINE_MARK``s in the fields, in order."""
        return Finding(anchor, fill(self.variants[variant] if variant else self.message, fields), lines)

    @classmethod
    def templates(cls) -> tuple[str, ...]:
        """Every message template of the rule: the message, then its variants."""
        return (cls.message, *cls.variants.values())

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")
