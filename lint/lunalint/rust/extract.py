"""Extract reqwest clients from a parsed Rust file: builder chains evaluated as values.

Every function (and ``static``/``const`` initialiser) is evaluated once, statement by statement,
with its local bindings: ``let mut b = Client::builder(); b = b.timeout(..);`` carries the builder
along, ``if``/``match`` branches are evaluated on copies and joined (a setting two branches set
differently is unknown), helper functions and methods are evaluated with their arguments, and a
``build()`` (or ``Client::new()``) records the client where it is built. Durations, numbers,
``const``/``static`` items (also in ``lazy_static!`` and ``thread_local!``), arithmetic,
``.unwrap_or(..)`` fallbacks and fields of config structs (their ``impl Default`` or
``#[serde(default = "..")]`` function) are evaluated; anything else is ``Unknown``.

Items of other files of the crate (``use crate::..``, ``super::``, ``self::``, child modules)
are followed too (``items.py`` resolves paths to items, ``crate.py`` finds files): helper functions and methods that take a
builder and return it configured, or build it; constants; config structs and their defaults.
What another file contributes is anchored at the expression of the checked file that reached it,
and a client built in another file is recorded here only when its builder started here or what
the call passed changed it (else that file's own check reports it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lunalint.rust.items import FOLLOW, LAZY, Function, Items, Module, base_type, find_function
from lunalint.rust.parse import Parsed, text
from lunalint.rust.reqwest import SETTING_METHODS, client_spec, request_spec
from lunalint.rust.values import (
    Builder, Built, Call, Closure, Dur, NoneValue, Num, Request, StructValue, Typed, Unknown, Value, join,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from lunalint.rust.lock import Locked
    from lunalint.spec import ClientSpec, Span

__all__ = ["Extracted", "extract"]

ENTRIES = {
    "reqwest::Client::builder": (False, False), "reqwest::ClientBuilder::new": (False, False),
    "reqwest::ClientBuilder::default": (False, False),
    "reqwest::Client::new": (False, True), "reqwest::Client::default": (False, True),
    "reqwest::blocking::Client::builder": (True, False), "reqwest::blocking::ClientBuilder::new": (True, False),
    "reqwest::blocking::ClientBuilder::default": (True, False),
    "reqwest::blocking::Client::new": (True, True), "reqwest::blocking::Client::default": (True, True),
}
BUILDER_TYPES = {"reqwest::ClientBuilder": False, "reqwest::blocking::ClientBuilder": True}
DURATION_TYPES = ("std::time::Duration", "core::time::Duration", "tokio::time::Duration", "Duration")
DURATION_UNITS = {
    "from_secs": 1.0, "from_secs_f32": 1.0, "from_secs_f64": 1.0, "from_millis": 1e-3, "from_micros": 1e-6,
    "from_nanos": 1e-9, "from_mins": 60.0, "from_hours": 3600.0,
}
DURATION_CONSTANTS = {"ZERO": 0.0, "MAX": math.inf, "SECOND": 1.0, "MILLISECOND": 1e-3, "MICROSECOND": 1e-6,
                      "NANOSECOND": 1e-9}
WRAPPERS = {"Some", "Ok", "Box::new", "Arc::new", "Rc::new", "std::sync::Arc::new", "std::rc::Rc::new",
            "Mutex::new", "RwLock::new", "RefCell::new", "std::cell::RefCell::new", "Cell::new"}
PASS_METHODS = {"unwrap", "expect", "map_err", "context", "with_context", "wrap_err", "wrap_err_with", "clone",
                "into", "to_owned", "ok", "unwrap_or_else_log", "expect_throw"}
REQUEST_METHODS = {"get", "post", "put", "patch", "delete", "head", "request"}
INTEGER_TYPES = {"u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"}
RELEVANT = rb"Client|[Bb]uilder|reqwest|timeout|\bbuild\b|Duration"
MAX_DEPTH = 4
MAX_STEPS = 200_000
FALLBACK_NOTE = "the .unwrap_or() fallback"
# expressions of the checked file that may lead into another file (what that file contributes is
# anchored at the innermost one)
ANCHORING = frozenset({"call_expression", "identifier", "scoped_identifier", "field_expression",
                       "struct_expression"})


@dataclass
class Extracted:
    specs: list[ClientSpec]
    depends_on_lock: bool = False  # some client's keepalive depends on the locked reqwest version


@dataclass
class _Frame:
    """One function evaluation: its bindings (a stack of block scopes) and what it returns."""

    scopes: list[dict[str, Value]]
    owner: str | None
    module: Module
    returns: list[Value] = field(default_factory=list)

    def lookup(self, name: str) -> Value | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def assign(self, name: str, value: Value) -> None:
        for scope in reversed(self.scopes):
            if name in scope:
                scope[name] = value
                return

    def copy(self) -> list[dict[str, Value]]:
        return [dict(scope) for scope in self.scopes]

    def inner(self) -> _Frame:
        """A frame on copies of these bindings (a closure, a ``let .. else`` branch)."""
        return _Frame(self.copy(), self.owner, self.module)


class _Budget(Exception):
    """The evaluation took too many steps: the rest of the file is not followed."""


class _Extractor:
    def __init__(self, parsed: Parsed, locked: Locked, path: str) -> None:
        self.locked = locked
        self.items = Items(parsed, path)
        self.home = self.items.home
        self.specs: dict[Span, ClientSpec] = {}
        self.depends_on_lock = False
        self.depth = 0
        self.active: set[tuple[str, int]] = set()
        self.steps = 0
        self.anchor: Node | None = None  # the innermost expression of the checked file being evaluated
        # clients built in another file, from a builder started there, during a call from the
        # checked file (None: not in such a call; ``dry``: the call evaluated as that file's own
        # check evaluates it, whose clients are not recorded)
        self.pending: list[tuple[Span, Builder]] | None = None
        self.dry = False
        self.macro_blocks: dict[tuple[str, int], Node | None] = {}
        self.memo: dict[tuple[object, ...], Value] = {}  # calls into other files whose value has no anchor
        self.closures: list[tuple[Node, _Frame]] = []  # each ``Closure``'s node and captured bindings
        aliases = [re.escape(name) for name, full in self.home.names.aliases.items() if full.startswith("reqwest")]
        self.relevant = re.compile(b"|".join([RELEVANT, *(rf"\b{alias}\b".encode() for alias in aliases)]))

    def close(self) -> None:
        """Break the cycles between modules and their functions, so their trees are freed now
        rather than at the next full garbage collection."""
        self.items.close()
        self.memo.clear()
        self.closures.clear()

    def run(self) -> Extracted:
        try:
            self._items(self.home.parsed.tree.root_node, None)
            for static in self.home.macro_statics:
                value = static.child_by_field_name("value")
                if value is not None and self.relevant.search(value.text or b""):
                    self._constant(self.home, text(static.child_by_field_name("name")))
        except _Budget:
            pass
        return Extracted(list(self.specs.values()), self.depends_on_lock)

    def _items(self, node: Node, owner: str | None) -> None:
        for child in node.named_children:
            kind = child.type
            if kind == "function_item":
                if self.relevant.search(child.text or b""):
                    self._call_function(Function(child, owner, self.home), None, [], standalone=True)
            elif kind in ("const_item", "static_item"):
                value = child.child_by_field_name("value")
                if value is not None and self.relevant.search(value.text or b""):
                    self._constant(self.home, text(child.child_by_field_name("name")))
            elif kind == "impl_item":
                body = child.child_by_field_name("body")
                if body is not None:
                    self._items(body, base_type(child.child_by_field_name("type")))
            elif kind in ("mod_item", "trait_item"):
                body = child.child_by_field_name("body")
                if body is not None:
                    self._items(body, None)

    def _foreign_function(self, module: Module, path: str) -> Function | Value | None:
        """The function a path names in another file of the crate (or the value of ``T::default()``
        there); None when it names none."""
        found = self.items.locate(module, path, functions=not path.endswith("::default"))
        if found is None:
            return None
        target, rest = found
        if len(rest) == 2 and rest[1] == "default" and rest[0] in target.structs:
            return self._struct_default(target, rest[0])
        if len(rest) == 1:
            return find_function(target, rest[0], None)
        if len(rest) == 2:
            return find_function(target, rest[1], rest[0])
        return None

    def _foreign_constant(self, module: Module, path: str) -> Value | None:
        name = path.rpartition("::")[2]
        if not name.isupper():  # ``const``s and ``static``s are upper case (rustc warns otherwise)
            return None
        found = self.items.locate(module, path)
        if found is None:
            return None
        target, rest = found
        if rest[-1] in target.constants and (len(rest) == 1 or rest[0] in target.owners or rest[0] in target.structs):
            return self._constant(target, rest[-1])
        return None

    # ---- functions

    def _call_function(self, function: Function, receiver: Value | None, args: list[Value],
                       *, standalone: bool = False) -> Value:
        node = function.node
        module = function.module
        body = node.child_by_field_name("body")
        key = (module.key, node.id)
        if body is None or key in self.active or self.depth >= MAX_DEPTH:
            return Unknown("a call that is not followed")
        frame = _Frame([{}], function.owner, module)
        params = node.child_by_field_name("parameters")
        positional = iter(args)
        for param in params.named_children if params is not None else ():
            if param.type == "self_parameter":
                frame.scopes[0]["self"] = receiver if receiver is not None else (
                    Typed(function.owner, module.key) if function.owner in module.structs else Unknown("self"))
                continue
            if param.type != "parameter":
                continue
            pattern = param.child_by_field_name("pattern")
            given = next(positional, None)
            name = text(pattern).removeprefix("mut ").strip()
            if given is None or (standalone and isinstance(given, Unknown)):
                given = self._typed(module, param.child_by_field_name("type"), param)
            if pattern is not None and name.isidentifier():
                frame.scopes[0][name] = given
        self.active.add(key)
        self.depth += 1
        try:
            value = self._block(body, frame)
        finally:
            self.depth -= 1
            self.active.discard(key)
        return join([value, *frame.returns]) if frame.returns else value

    def _enter(self, function: Function, receiver: Value | None, args: list[Value], frame: _Frame) -> Value:
        """Call ``function`` from ``frame``. When that steps from the checked file into another
        and a client is built there from a builder started there, the client is this file's only
        if what this call passed changed it: the function is evaluated again as its own file's
        check evaluates it, and only clients that differ from those are recorded."""
        if frame.module is not self.home or function.module is self.home or self.pending is not None:
            return self._call_function(function, receiver, args)
        try:
            memo_key: tuple[object, ...] | None = (function.module.key, function.node.id, receiver, *args)
            hash(memo_key)
        except TypeError:
            memo_key = None
        if memo_key is not None and memo_key in self.memo:
            return self.memo[memo_key]
        recorded = len(self.specs)
        self.pending = []
        try:
            value = self._call_function(function, receiver, args)
            built = self.pending
        finally:
            self.pending = None
        if built and not self.dry:
            self.pending, self.dry = [], True
            try:
                self._call_function(function, None, [], standalone=True)
                own = [client_spec(builder, self.locked) for _, builder in self.pending]
            finally:
                self.pending, self.dry = None, False
            for key, builder in built:
                if client_spec(builder, self.locked) not in own:
                    self._record(key, builder)
        if memo_key is not None and not built and len(self.specs) == recorded and not isinstance(
                value, (Builder, Built, Request, StructValue)):
            self.memo[memo_key] = value  # (a value without anchors: the same at every call)
        return value

    @staticmethod
    def _worth_following(function: Function, args: list[Value]) -> bool:
        """A method, or a function of another file, is followed when it is handed a builder (or
        a struct holding one) or its text speaks of clients or durations (others cannot configure
        one)."""
        return any(_holds_builder(arg) for arg in args) or bool(FOLLOW.search(function.node.text or b""))

    def _typed(self, module: Module, type_node: Node | None, param: Node) -> Value:
        """What a parameter of this type is when the caller is not known."""
        if type_node is None:
            return Unknown("a parameter")
        raw = re.sub(r"^(&\s*('\w+\s+)?(mut\s+)?|mut\s+)", "", text(type_node)).strip()
        for wrapper in ("Arc<", "Rc<", "Box<"):
            if raw.startswith(wrapper) and raw.endswith(">"):
                raw = raw[len(wrapper):-1].strip()
        resolved = module.names.resolve(raw)
        if resolved in BUILDER_TYPES:
            return Builder(BUILDER_TYPES[resolved], self._span(module, param), base_known=False,
                           local=module is self.home)
        if raw in module.structs:
            return Typed(raw, module.key)
        if self.items.in_crate(module, raw):  # resolved only if its fields or methods are asked for
            return Typed(raw.split("<", 1)[0].rpartition("::")[2], f"{LAZY}{module.key}\0{raw}")
        return Unknown("a parameter")

    def _span(self, module: Module, node: Node, end: Node | None = None) -> Span:
        """Where ``node`` is, for a finding: in another file, the expression of the checked file
        that led there."""
        if module is self.home or self.anchor is None:
            return self.home.parsed.span(node, end) if module is self.home else self.home.parsed.span(
                self.home.parsed.tree.root_node)
        return self.home.parsed.span(self.anchor)

    # ---- items with values

    def _constant(self, module: Module, name: str) -> Value:
        if name in module.const_values:
            return module.const_values[name]
        item = module.constants.get(name)
        value_node = item.child_by_field_name("value") if item is not None else None
        if value_node is None:
            return Unknown(f"{name} is not a constant of this file")
        module.const_values[name] = Unknown(f"{name} refers to itself")
        pending, self.pending = self.pending, None  # (takes no arguments: its file reports its clients)
        try:
            value = self._expr(value_node, _Frame([{}], None, module))
        finally:
            self.pending = pending
        module.const_values[name] = value
        return value

    def _struct_default(self, module: Module, type_name: str) -> Value:
        """The value of ``T::default()`` for a type of the crate (its ``impl Default``)."""
        if type_name in module.default_values:
            return module.default_values[type_name]
        module.default_values[type_name] = Unknown(f"{type_name}::default() is not known")
        function = module.defaults.get(type_name)
        value: Value = Unknown(f"{type_name} has no impl Default in its file")
        if function is not None:
            pending, self.pending = self.pending, None  # (takes no arguments: its file reports its clients)
            try:
                value = self._call_function(Function(function, type_name, module), None, [])
            finally:
                self.pending = pending
            if isinstance(value, StructValue):
                value = _noted(value, f"{type_name}::default()")
        module.default_values[type_name] = value
        return value

    def _field_of(self, value: Value, name: str) -> Value:
        if isinstance(value, StructValue):
            found = value.get(name)
            if found is not None:
                return _with_note(found, value.note) if value.note else found
            return self._field_of(Typed(value.type_name, value.home), name)
        if isinstance(value, Typed):
            module = self.items.by_key(value.home)
            if module is None:
                return Unknown(f"{value.type_name}.{name} is not known")
            default = self._struct_default(module, value.type_name)
            if isinstance(default, StructValue) and default.get(name) is not None:
                return self._field_of(default, name)
            serde = self._serde_default(module, value.type_name, name)
            if serde is not None:
                return serde
            declared = self._field_type(module, value.type_name, name)
            if declared is not None:
                return declared
            return Unknown(f"{value.type_name}.{name} has no default in this file")
        return Unknown(f"field {name} of a value that is not known")

    def _struct_fields(self, module: Module, type_name: str) -> Iterator[tuple[Node, list[Node]]]:
        """Each field declaration of a struct, with the attributes written before it."""
        item = module.structs.get(type_name)
        body = item.child_by_field_name("body") if item is not None else None
        attributes: list[Node] = []
        for child in body.named_children if body is not None else ():
            if child.type == "attribute_item":
                attributes.append(child)
            elif child.type == "field_declaration":
                yield child, attributes
                attributes = []

    def _serde_default(self, module: Module, type_name: str, name: str) -> Value | None:
        for declaration, attributes in self._struct_fields(module, type_name):
            if text(declaration.child_by_field_name("name")) != name:
                continue
            for attribute in attributes:
                match = re.search(r'default\s*=\s*"([A-Za-z_][\w:]*)"', text(attribute))
                if match is None:
                    continue
                function = find_function(module, match[1].rpartition("::")[2], None)
                if function is not None:
                    return _with_note(self._call_function(function, None, []), f"serde default {match[1]}()")
        return None

    def _field_type(self, module: Module, type_name: str, name: str) -> Typed | None:
        for declaration, _ in self._struct_fields(module, type_name):
            if text(declaration.child_by_field_name("name")) == name:
                declared = base_type(declaration.child_by_field_name("type"))
                if declared in module.structs:
                    return Typed(declared, module.key)
                type_node = declaration.child_by_field_name("type")
                raw = text(type_node)
                if type_node is not None and self.items.in_crate(module, raw):
                    return Typed(raw.split("<", 1)[0].rpartition("::")[2], f"{LAZY}{module.key}\0{raw}")
                return None
        return None

    # ---- statements

    def _block(self, block: Node, frame: _Frame) -> Value:
        frame.scopes.append({})
        value: Value = Unknown("a block without a value")
        try:
            for child in block.named_children:
                value = self._statement(child, frame)
        finally:
            frame.scopes.pop()
        return value

    def _statement(self, node: Node, frame: _Frame) -> Value:
        kind = node.type
        if kind == "let_declaration":
            value_node = node.child_by_field_name("value")
            value = self._expr(value_node, frame) if value_node is not None else Unknown("declared without a value")
            alternative = node.child_by_field_name("alternative")
            if alternative is not None:
                self._expr(alternative, frame.inner())
            pattern = node.child_by_field_name("pattern")
            name = text(pattern).removeprefix("mut ").strip()
            if pattern is not None and name.isidentifier():
                frame.scopes[-1][name] = value
            elif pattern is not None:
                for bound in _identifiers(pattern):
                    frame.scopes[-1][bound] = Unknown("bound by a pattern")
            return Unknown("a statement")
        if kind == "expression_statement":
            inner = node.named_children[0] if node.named_children else None
            if inner is not None:
                self._expr(inner, frame)
            return Unknown("a statement")
        if kind in ("const_item", "static_item"):
            value_node = node.child_by_field_name("value")
            if value_node is not None:
                frame.scopes[-1][text(node.child_by_field_name("name"))] = self._expr(value_node, frame)
            return Unknown("an item")
        if kind in ("function_item", "impl_item", "struct_item", "enum_item", "use_declaration", "mod_item",
                    "trait_item", "type_item", "macro_definition", "attribute_item", "line_comment",
                    "block_comment", "empty_statement", "inner_attribute_item"):
            return Unknown("an item")
        return self._expr(node, frame)

    # ---- expressions

    def _expr(self, node: Node, frame: _Frame) -> Value:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Budget
        handler = self._HANDLERS.get(node.type)
        if frame.module is self.home and node.type in ANCHORING:
            previous, self.anchor = self.anchor, node
            try:
                return handler(self, node, frame) if handler is not None else self._children(node, frame)
            finally:
                self.anchor = previous
        if handler is not None:
            return handler(self, node, frame)
        return self._children(node, frame)

    def _children(self, node: Node, frame: _Frame) -> Value:
        for child in node.named_children:
            self._expr(child, frame)
        return Unknown(f"{node.type.replace('_', ' ')} is not evaluated")

    def _literal_int(self, node: Node, frame: _Frame) -> Value:
        raw = text(node).replace("_", "")
        match = re.fullmatch(r"(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\d+)([iu](?:8|16|32|64|128|size))?", raw)
        if match is None:
            return Unknown("an integer literal")
        return Num(float(int(match[1], 0)), integer=True)

    def _literal_float(self, node: Node, frame: _Frame) -> Value:
        raw = re.sub(r"f(32|64)$", "", text(node).replace("_", ""))
        try:
            return Num(float(raw))
        except ValueError:
            return Unknown("a float literal")

    def _identifier(self, node: Node, frame: _Frame) -> Value:
        name = text(node)
        if name == "None":
            return NoneValue()
        found = frame.lookup(name)
        if found is not None:
            return found
        if name in frame.module.constants:
            return self._constant(frame.module, name)
        if name in frame.module.names.aliases:  # ``use crate::config::TIMEOUT;``
            found = self._foreign_constant(frame.module, name)
            if found is not None:
                return found
        return Unknown(f"{name} is not known")

    def _scoped(self, node: Node, frame: _Frame) -> Value:
        module = frame.module
        written = _path_text(node)
        path = module.names.resolve(written)
        owner, _, last = path.rpartition("::")
        if owner in DURATION_TYPES and last in DURATION_CONSTANTS:
            return Dur(DURATION_CONSTANTS[last], raw=f"Duration::{last}")
        if owner == "Self" and frame.owner is not None:
            owner = frame.owner
        if owner in module.structs or owner in module.functions or owner in module.owners:
            if last in module.constants:
                return self._constant(module, last)
        if path in ("None", "Option::None", "std::option::Option::None"):
            return NoneValue()
        found = self._foreign_constant(module, written)
        if found is not None:
            return found
        return Unknown(f"{path} is not known")

    def _paren(self, node: Node, frame: _Frame) -> Value:
        inner = node.named_children
        return self._expr(inner[0], frame) if len(inner) == 1 else Unknown("a tuple")

    def _pass(self, node: Node, frame: _Frame) -> Value:
        inner = [child for child in node.named_children if child.type not in ("mutable_specifier",)]
        value: Value = Unknown("an expression")
        for child in inner:
            value = self._expr(child, frame)
        return value

    def _cast(self, node: Node, frame: _Frame) -> Value:
        value = self._expr(node.child_by_field_name("value") or node, frame)
        target = text(node.child_by_field_name("type"))
        if isinstance(value, Num) and target in INTEGER_TYPES and math.isfinite(value.value):
            return Num(float(math.trunc(value.value)), value.note, integer=True)
        if isinstance(value, Num) and target in ("f32", "f64"):
            return Num(value.value, value.note)
        return value

    def _unary(self, node: Node, frame: _Frame) -> Value:
        operand = node.named_children[-1] if node.named_children else None
        value = self._expr(operand, frame) if operand is not None else Unknown("")
        operator = text(node)[:1]
        if operator == "-" and isinstance(value, Num):
            return Num(-value.value, value.note, value.integer)
        if operator in ("*", "&"):
            return value
        return Unknown("a unary expression")

    def _binary(self, node: Node, frame: _Frame) -> Value:
        left_node, right_node = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left_node is None or right_node is None:
            return Unknown("an incomplete expression")
        left, right = self._expr(left_node, frame), self._expr(right_node, frame)
        operator = text(node.child_by_field_name("operator"))
        return _arithmetic(operator, left, right)

    def _reference(self, node: Node, frame: _Frame) -> Value:
        value = node.child_by_field_name("value")
        return self._expr(value, frame) if value is not None else Unknown("a reference")

    def _field(self, node: Node, frame: _Frame) -> Value:
        value_node = node.child_by_field_name("value")
        name = text(node.child_by_field_name("field"))
        base = self._expr(value_node, frame) if value_node is not None else Unknown("")
        return self._field_of(base, name)

    def _struct(self, node: Node, frame: _Frame) -> Value:
        module = frame.module
        type_name = base_type(node.child_by_field_name("name")) or ""
        home_key: str | None = None
        if type_name == "Self" and frame.owner is not None:
            type_name = frame.owner
        elif type_name not in module.structs and (  # a struct of another file
                type_name in module.names.aliases or "::" in text(node.child_by_field_name("name"))):
            written = _path_text(node.child_by_field_name("name") or node)
            if b".." not in (node.text or b""):  # resolved only if its methods or fields are asked for
                home_key = f"{LAZY}{module.key}\0{written}"
            else:
                home = self.items.type_home(module, written)
                if home is not None:
                    module, type_name = home
        fields: dict[str, Value] = {}
        base: Value | None = None
        body = node.child_by_field_name("body")
        for child in body.named_children if body is not None else ():
            if child.type == "field_initializer":
                value_node = child.child_by_field_name("value")
                fields[text(child.child_by_field_name("field"))] = (
                    self._expr(value_node, frame) if value_node is not None else Unknown(""))
            elif child.type == "shorthand_field_initializer":
                name = text(child)
                fields[name] = frame.lookup(name) or Unknown(f"{name} is not known")
            elif child.type == "base_field_initializer":
                inner = child.named_children[0] if child.named_children else None
                base = self._expr(inner, frame) if inner is not None else None
        if isinstance(base, StructValue):
            fields = {**dict(base.fields), **fields}
        elif type_name in module.structs and base is not None and _is_default_call(text(body)):
            default = self._struct_default(module, type_name)
            if isinstance(default, StructValue):
                fields = {**dict(default.fields), **fields}
        return StructValue(type_name, tuple(fields.items()), home=home_key if home_key is not None else module.key)

    def _closure(self, node: Node, frame: _Frame) -> Value:
        body = node.child_by_field_name("body")
        if body is not None:
            inner = frame.inner()
            inner.scopes.append({name: Unknown("a closure parameter")
                                 for name in _identifiers(node.child_by_field_name("parameters"))})
            self._expr(body, inner)
        self.closures.append((node, frame.inner()))
        return Closure(len(self.closures) - 1)

    def _apply_closure(self, closure: Node, argument: Value, frame: _Frame) -> Value:
        """``|s| Duration::from_secs(s)`` applied to ``argument``."""
        params = _identifiers(closure.child_by_field_name("parameters"))
        body = closure.child_by_field_name("body")
        if body is None or len(params) > 1:
            return Unknown("a closure")
        inner = frame.inner()
        inner.scopes.append(dict.fromkeys(params, argument))
        return self._expr(body, inner)

    def _block_expr(self, node: Node, frame: _Frame) -> Value:
        block = node if node.type == "block" else next((c for c in node.named_children if c.type == "block"), None)
        return self._block(block, frame) if block is not None else Unknown("a block")

    def _return(self, node: Node, frame: _Frame) -> Value:
        inner = node.named_children[0] if node.named_children else None
        frame.returns.append(self._expr(inner, frame) if inner is not None else Unknown("return"))
        return Unknown("return")

    def _assign(self, node: Node, frame: _Frame) -> Value:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        value = self._expr(right, frame) if right is not None else Unknown("")
        if left is not None and left.type in ("identifier", "self"):
            frame.assign(text(left), value)
        elif left is not None and left.type == "field_expression":  # ``cfg.timeout = Some(..)``
            target = left.child_by_field_name("value")
            name = text(target)
            current = frame.lookup(name) if target is not None and target.type in ("identifier", "self") else None
            if isinstance(current, StructValue):
                field_name = text(left.child_by_field_name("field"))
                fields = {**dict(current.fields), field_name: value}
                frame.assign(name, replace(current, fields=tuple(fields.items())))
        return Unknown("an assignment")

    def _branches(self, frame: _Frame, bodies: list[Node | None]) -> Value:
        """Evaluate each body (None: the path that runs none) on a copy of the bindings; join."""
        original = frame.scopes
        outcomes: list[tuple[list[dict[str, Value]], Value]] = []
        for body in bodies:
            frame.scopes = [dict(scope) for scope in original]
            value = self._expr(body, frame) if body is not None else Unknown("no value")
            outcomes.append((frame.scopes, value))
        frame.scopes = [
            {name: join([scopes[index].get(name, value) for scopes, _ in outcomes]) for name, value in scope.items()}
            for index, scope in enumerate(original)
        ]
        return join([value for _, value in outcomes])

    def _if(self, node: Node, frame: _Frame) -> Value:
        condition = node.child_by_field_name("condition")
        decided = self._condition(condition, frame) if condition is not None else None
        alternative = node.child_by_field_name("alternative")
        otherwise = None
        if alternative is not None:
            otherwise = next(iter(alternative.named_children), None)
        consequence = node.child_by_field_name("consequence")
        if decided is not None:  # ``if let Some(t) = x`` with x known to be None, or known
            return self._branches(frame, [consequence if decided else otherwise])
        return self._branches(frame, [consequence, otherwise])

    def _condition(self, condition: Node, frame: _Frame) -> bool | None:
        """Evaluate a condition (for the clients it builds); bind what ``if let`` patterns bind.
        True or False when it is an ``if let Some(name) = value`` whose value is known (None, or
        a known value, bound to ``name``); else None."""
        for part in [condition, *condition.named_children] if condition.type == "let_chain" else [condition]:
            if part.type == "let_condition":
                value_node = part.child_by_field_name("value")
                value, definite = self._let_value(value_node, frame)
                pattern = part.child_by_field_name("pattern")
                bound = _some_binding(pattern)
                if condition.type != "let_chain" and bound is not None and definite:
                    if isinstance(value, NoneValue):
                        return False
                    if isinstance(value, (Num, Dur, StructValue)):
                        frame.scopes[-1][bound] = value
                        return True
                frame.scopes[-1].update({name: Unknown("bound by a pattern") for name in _identifiers(pattern)})
            elif part.type != "let_chain":
                self._expr(part, frame)
        return None

    def _let_value(self, node: Node | None, frame: _Frame) -> tuple[Value, bool]:
        """The value an ``if let`` tests, and whether it is definite: a field of a value of
        unknown contents (``self.timeout`` of a ``Typed`` self: its default is only assumed) is
        not, since the field may have been set since."""
        if node is None:
            return Unknown(""), False
        if node.type == "field_expression":
            base_node = node.child_by_field_name("value")
            base = self._expr(base_node, frame) if base_node is not None else Unknown("")
            value = self._field_of(base, text(node.child_by_field_name("field")))
            return value, isinstance(base, StructValue)
        return self._expr(node, frame), True

    def _match(self, node: Node, frame: _Frame) -> Value:
        value = node.child_by_field_name("value")
        if value is not None:
            self._expr(value, frame)
        body = node.child_by_field_name("body")
        arms = [arm for arm in body.named_children if arm.type == "match_arm"] if body is not None else []
        frame.scopes.append({})
        try:
            for arm in arms:
                frame.scopes[-1].update({name: Unknown("bound by a pattern")
                                         for name in _identifiers(arm.child_by_field_name("pattern"))})
            result = self._branches(frame, [arm.child_by_field_name("value") for arm in arms] or [None])
        finally:
            frame.scopes.pop()
        return result

    def _loop(self, node: Node, frame: _Frame) -> Value:
        for name in ("condition", "value"):
            part = node.child_by_field_name(name)
            if part is not None:
                self._expr(part, frame)
        frame.scopes.append({name: Unknown("a loop variable")
                             for name in _identifiers(node.child_by_field_name("pattern"))})
        try:
            self._branches(frame, [node.child_by_field_name("body"), None])
        finally:
            frame.scopes.pop()
        return Unknown("a loop")

    def _macro(self, node: Node, frame: _Frame) -> Value:
        """A macro whose body is a block of statements (``async_stream::stream! { .. }``) is
        evaluated as that block; other macros are unknown."""
        body = next((child for child in node.named_children if child.type == "token_tree"), None)
        if body is None or not (body.text or b"").startswith(b"{") or not self.relevant.search(body.text or b""):
            return Unknown("a macro")
        block = self._macro_block(frame.module, body)
        return self._block(block, frame) if block is not None else Unknown("a macro")

    def _macro_block(self, module: Module, body: Node) -> Node | None:
        """The ``{ .. }`` of a macro call parsed as a function body, at its place in the file:
        everything else blanked, and ``fn a()`` written over the six characters before it."""
        key = (module.key, body.start_byte)
        if key in self.macro_blocks:
            return self.macro_blocks[key]
        self.macro_blocks[key] = None
        data = module.parsed.data
        start, end = body.start_byte, body.end_byte
        if start < 6 or b"\n" in data[start - 6:start]:
            return None
        masked = re.sub(rb"[^\n]", b" ", data[:start - 6]) + b"fn a()" + data[start:end] + re.sub(
            rb"[^\n]", b" ", data[end:])
        from lunalint.rust.parse import parse

        tree = parse(masked).tree
        module.trees.append(tree)
        function = next((child for child in tree.root_node.named_children if child.type == "function_item"), None)
        block = function.child_by_field_name("body") if function is not None else None
        if block is not None and block.start_byte == start:
            self.macro_blocks[key] = block
        return self.macro_blocks[key]

    # ---- calls

    def _call(self, node: Node, frame: _Frame) -> Value:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        arg_nodes = list(arguments.named_children) if arguments is not None else []
        arg_nodes = [arg for arg in arg_nodes if arg.type not in ("line_comment", "block_comment", "attribute_item")]
        if function is None:
            return Unknown("a call")
        if function.type == "generic_function":
            function = function.child_by_field_name("function") or function
        if function.type == "field_expression":
            return self._method(node, function, arg_nodes, frame)
        args = [self._expr(arg, frame) for arg in arg_nodes]
        if function.type == "identifier" and frame.lookup(text(function)) is not None:
            local = frame.lookup(text(function))
            if isinstance(local, Closure) and len(args) == 1:  # ``f(builder)`` with ``f`` a closure
                closure, captured = self.closures[local.key]
                return self._apply_closure(closure, args[0], captured)
            return Unknown("a call of a local value")
        module = frame.module
        written = _path_text(function)
        path = module.names.resolve(written)
        entry = ENTRIES.get(path)
        if entry is not None:
            blocking, built = entry
            builder = Builder(blocking, self._span(module, node), local=module is self.home)
            return self._build(builder, node, frame) if built else builder
        owner, _, last = path.rpartition("::")
        if owner in DURATION_TYPES and last in DURATION_UNITS:
            return _duration(last, args)
        if owner in DURATION_TYPES and last == "new" and len(args) == 2:
            seconds, nanos = args
            if isinstance(seconds, Num) and isinstance(nanos, Num):
                return Dur(seconds.value + nanos.value / 1e9, _notes(seconds, nanos))
            return Unknown("Duration::new of values that are not known")
        if path in WRAPPERS and len(args) == 1:
            return args[0]
        if owner == "Self" and frame.owner is not None:
            owner = frame.owner
        if last == "default" and not arg_nodes and owner in module.structs:
            return self._struct_default(module, owner)
        target = find_function(module, last, owner or None) if owner == "" or owner in module.owners else None
        if target is None and (("::" in written and owner != "Self") or written in module.names.aliases):
            foreign = self._foreign_function(module, written)
            if foreign is not None and not isinstance(foreign, Function):
                return foreign
            target = foreign
        if target is not None and (target.module is module or self._worth_following(target, args)):
            return self._enter(target, None, args, frame)
        tuple_struct = self._tuple_struct(module, frame, written, owner, last) if any(
            _holds_builder(arg) for arg in args) else None
        if tuple_struct is not None:  # ``Wrapper(reqwest::Client::builder())``
            home, name = tuple_struct
            return StructValue(name, tuple((str(index), arg) for index, arg in enumerate(args)), home=home.key)
        return Unknown(f"{path}() is not followed")

    def _tuple_struct(self, module: Module, frame: _Frame, written: str, owner: str, last: str
                      ) -> tuple[Module, str] | None:
        """The module and name of the tuple struct a call constructs, if it is one of the crate."""
        name = frame.owner if written == "Self" else last if owner == "" else None
        found: tuple[Module, str] | None = (module, name) if name is not None and name in module.structs else None
        if found is None and (written in module.names.aliases or "::" in written):
            located = self.items.locate(module, written)
            if located is not None and len(located[1]) == 1 and located[1][0] in located[0].structs:
                found = located[0], located[1][0]
        if found is None:
            return None
        body = found[0].structs[found[1]].child_by_field_name("body")
        return found if body is not None and body.type == "ordered_field_declaration_list" else None

    def _method(self, node: Node, function: Node, arg_nodes: list[Node], frame: _Frame) -> Value:
        receiver_node = function.child_by_field_name("value")
        method = text(function.child_by_field_name("field"))
        receiver = self._expr(receiver_node, frame) if receiver_node is not None else Unknown("")
        if method in ("unwrap_or_else", "map", "and_then", "map_or_else") and len(arg_nodes) == 1 \
                and arg_nodes[0].type == "closure_expression":
            return self._closure_method(receiver, method, arg_nodes[0], frame)
        args = [self._expr(arg, frame) for arg in arg_nodes]
        if isinstance(receiver, Builder):
            if method in SETTING_METHODS and len(args) == 1:
                span = self._span(frame.module, function.child_by_field_name("field") or function, node)
                return receiver.with_call(method, Call(args[0], span))
            if method == "build":
                return self._build(receiver, node, frame)
            followed = self._user_method(receiver, receiver_node, method, args, frame)
            return followed if isinstance(followed, Builder) else receiver
        if isinstance(receiver, Built):
            if method in PASS_METHODS:
                return receiver
            if method in REQUEST_METHODS and args:
                return Request(receiver.blocking)
            return Unknown(f".{method}() on a client")
        if isinstance(receiver, Request):
            if method == "timeout" and len(args) == 1:
                if frame.module is self.home:  # (another file's own check reports its requests)
                    span = self._span(frame.module, function.child_by_field_name("field") or function, node)
                    self.specs.setdefault(span, request_spec(args[0], span, receiver.blocking))
                return receiver
            return receiver if method not in ("send", "build", "execute") else Unknown("a response")
        if method in REQUEST_METHODS and args and not isinstance(receiver, (Num, Dur, NoneValue, StructValue)):
            if receiver_node is not None and receiver_node.type != "scoped_identifier":
                return Request(None)
        followed = self._user_method(receiver, receiver_node, method, args, frame)
        if followed is not None:
            return followed
        return self._value_method(receiver, method, args, arg_nodes, frame)

    def _user_method(self, receiver: Value, receiver_node: Node | None, method: str, args: list[Value],
                     frame: _Frame) -> Value | None:
        """A method of the crate called on a config value (``cfg.apply(builder)``, ``self.timeout()``),
        followed with its receiver and arguments; None when it is not one."""
        target: Function | None = None
        if isinstance(receiver, (StructValue, Typed)):
            module = self.items.by_key(
                receiver.home, functions=not any(_holds_builder(value) for value in [receiver, *args]))
            target = find_function(module, method, receiver.type_name) if module is not None else None
        elif receiver_node is not None and receiver_node.type == "self" and frame.owner is not None:
            target = find_function(frame.module, method, frame.owner)
        elif isinstance(receiver, Builder):  # an extension trait's method on ``ClientBuilder``
            target = find_function(frame.module, method, "ClientBuilder")
        elif any(isinstance(arg, Builder) for arg in args):
            target = self._method_by_name(frame.module, method)
        if target is None or not self._worth_following(target, [receiver, *args]):
            return None
        return self._enter(target, receiver, args, frame)

    def _method_by_name(self, module: Module, method: str) -> Function | None:
        """The one method called ``method`` (taking ``self``) on the types this file defines or
        imports from its crate, for a receiver whose type is not known."""
        found: dict[tuple[str, int], Function] = {}
        homes = [module]
        for alias, full in module.names.aliases.items():
            if alias[:1].isupper() and not full.startswith(("reqwest", "std", "core", "tokio")):
                located = self.items.locate(module, alias)
                if located is not None:
                    homes.append(located[0])
        for home in homes:
            for function in home.functions.get(method, ()):
                params = function.node.child_by_field_name("parameters")
                if function.owner is not None and params is not None and any(
                        param.type == "self_parameter" for param in params.named_children):
                    found[(home.key, function.node.id)] = function
        return next(iter(found.values())) if len(found) == 1 else None

    def _value_method(self, receiver: Value, method: str, args: list[Value], arg_nodes: list[Node],
                      frame: _Frame) -> Value:
        if method in PASS_METHODS and isinstance(receiver, (Num, Dur, NoneValue, Builder)):
            return receiver if not isinstance(receiver, NoneValue) or method not in ("unwrap", "expect") else \
                Unknown("unwrap of None")
        if method == "unwrap_or" and len(args) == 1:
            if isinstance(receiver, (Num, Dur)):
                return receiver
            if isinstance(receiver, NoneValue):
                return args[0]
            return _with_note(args[0], FALLBACK_NOTE) if isinstance(args[0], (Num, Dur)) else args[0]
        if method == "map" and len(args) == 1 and arg_nodes:
            path = frame.module.names.resolve(_path_text(arg_nodes[0]))
            owner, _, last = path.rpartition("::")
            if owner in DURATION_TYPES and last in DURATION_UNITS:
                if isinstance(receiver, NoneValue):
                    return receiver
                return _duration(last, [receiver])
        if isinstance(receiver, Dur):
            if method == "as_secs":
                return Num(float(math.floor(receiver.seconds)), receiver.note, integer=True)
            if method in ("as_secs_f64", "as_secs_f32"):
                return Num(receiver.seconds, receiver.note)
            if method == "as_millis":
                return Num(float(math.floor(receiver.seconds * 1000)), receiver.note, integer=True)
            if method in ("saturating_mul", "mul_f64", "mul_f32") and len(args) == 1:
                return _arithmetic("*", receiver, args[0])
        return Unknown(f".{method}() is not followed")

    def _closure_method(self, receiver: Value, method: str, closure: Node, frame: _Frame) -> Value:
        if method == "unwrap_or_else":
            if isinstance(receiver, (Num, Dur)):
                self._closure(closure, frame)
                return receiver
            fallback = self._apply_closure(closure, Unknown("an error"), frame)
            return _with_note(fallback, FALLBACK_NOTE) if isinstance(fallback, (Num, Dur)) else fallback
        if method == "map" and isinstance(receiver, (Num, Dur)):
            return self._apply_closure(closure, receiver, frame)
        if method == "map" and isinstance(receiver, NoneValue):
            return receiver
        self._closure(closure, frame)
        return Unknown(f".{method}() is not followed")

    def _build(self, builder: Builder, node: Node, frame: _Frame) -> Value:
        key = self._span(frame.module, node)
        if frame.module is not self.home and not builder.local:
            if self.pending is not None:  # (else that file's own check reports it)
                self.pending.append((key, builder))
            return Built(builder.blocking, key)
        if not self.dry:
            self._record(key, builder)
        return Built(builder.blocking, key)

    def _record(self, key: Span, builder: Builder) -> None:
        if key not in self.specs:
            spec = client_spec(builder, self.locked)
            keepalive = spec.keepalive
            if keepalive is not None and builder.base_known and builder.get("tcp_keepalive") is None:
                self.depends_on_lock = True
            elif isinstance(builder.get("tcp_keepalive"), Call):
                self.depends_on_lock = True
            self.specs[key] = spec

    _HANDLERS: dict[str, Callable[[_Extractor, Node, _Frame], Value]] = {
        "integer_literal": _literal_int, "float_literal": _literal_float, "identifier": _identifier,
        "self": _identifier, "scoped_identifier": _scoped, "parenthesized_expression": _paren,
        "type_cast_expression": _cast, "unary_expression": _unary, "binary_expression": _binary,
        "reference_expression": _reference, "try_expression": _pass, "await_expression": _pass,
        "field_expression": _field, "struct_expression": _struct, "closure_expression": _closure,
        "block": _block_expr, "unsafe_block": _block_expr, "async_block": _block_expr,
        "const_block": _block_expr, "return_expression": _return, "assignment_expression": _assign,
        "if_expression": _if, "match_expression": _match, "for_expression": _loop, "while_expression": _loop,
        "loop_expression": _loop, "call_expression": _call, "macro_invocation": _macro,
        "expression_statement": _pass,
    }


# ---- helpers


def _holds_builder(value: Value) -> bool:
    return isinstance(value, Builder) or (
        isinstance(value, StructValue) and any(isinstance(item, Builder) for _, item in value.fields))


def _is_default_call(body_text: str) -> bool:
    return bool(re.search(r"\.\.\s*(Self|[A-Z]\w*)?(::)?default\(\)|\.\.\s*Default::default\(\)", body_text))


def _path_text(node: Node) -> str:
    """A path without generic arguments: ``Lazy::<Client>::new`` -> ``Lazy::new``."""
    return re.sub(r"::<[^>]*>|<[^>]*>", "", text(node)).replace(" ", "")


def _some_binding(pattern: Node | None) -> str | None:
    """``t`` for the pattern ``Some(t)`` (or ``Some(ref t)``), else None."""
    if pattern is None or pattern.type != "tuple_struct_pattern":
        return None
    children = pattern.named_children
    if len(children) != 2 or text(children[0]) != "Some":
        return None
    inner = children[1]
    if inner.type == "ref_pattern" and inner.named_children:
        inner = inner.named_children[0]
    return text(inner) if inner.type == "identifier" else None


def _identifiers(node: Node | None) -> list[str]:
    if node is None:
        return []
    if node.type == "identifier":
        return [text(node)]
    found: list[str] = []
    for child in node.named_children:
        if child.type == "identifier" and node.type == "tuple_struct_pattern" and child == node.named_children[0]:
            continue  # ``Some`` in ``Some(x)``
        found.extend(_identifiers(child))
    return found


def _notes(*values: Value) -> str:
    notes = [value.note for value in values if isinstance(value, (Num, Dur)) and value.note]
    return ", ".join(dict.fromkeys(notes))


def _with_note(value: Value, note: str) -> Value:
    if isinstance(value, (Num, Dur)):
        return replace(value, note=", ".join(part for part in (value.note, note) if part))
    if isinstance(value, StructValue):
        return _noted(value, note)
    return value


def _noted(value: StructValue, note: str) -> StructValue:
    return replace(value, note=", ".join(part for part in (value.note, note) if part))


def _duration(constructor: str, args: list[Value]) -> Value:
    if len(args) != 1:
        return Unknown(f"Duration::{constructor} with {len(args)} arguments")
    (amount,) = args
    if isinstance(amount, Num):
        return Dur(amount.value * DURATION_UNITS[constructor], amount.note)
    if isinstance(amount, Unknown):
        return amount
    return Unknown(f"Duration::{constructor} of a value that is not a number")


def _arithmetic(operator: str, left: Value, right: Value) -> Value:
    if isinstance(left, Num) and isinstance(right, Num):
        result = _apply(operator, left.value, right.value, left.integer and right.integer)
        return Unknown(f"{operator} is not evaluated") if result is None else Num(
            result, _notes(left, right), left.integer and right.integer)
    if isinstance(left, Dur) and isinstance(right, Dur) and operator in ("+", "-"):
        result = _apply(operator, left.seconds, right.seconds, False)
        return Unknown("") if result is None else Dur(result, _notes(left, right))
    if isinstance(left, Dur) and isinstance(right, Num) and operator in ("*", "/"):
        result = _apply(operator, left.seconds, right.value, False)
        return Unknown("") if result is None else Dur(result, _notes(left, right))
    if isinstance(left, Num) and isinstance(right, Dur) and operator == "*":
        return Dur(left.value * right.seconds, _notes(left, right))
    return Unknown(f"{operator} of values that are not known")


def _apply(operator: str, left: float, right: float, integer: bool) -> float | None:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "/" and right != 0:
        return float(math.trunc(left / right)) if integer else left / right
    if operator == "%" and right != 0 and integer:
        return math.fmod(left, right)
    return None


def extract(parsed: Parsed, locked: Locked, path: str = "") -> Extracted:
    """The clients ``parsed`` builds; ``path`` (the file on disk, if it is one) finds its crate."""
    extractor = _Extractor(parsed, locked, path)
    try:
        return extractor.run()
    finally:
        extractor.close()
