"""Extract reqwest clients from a parsed Rust file: builder chains evaluated as values.

Every function (and ``static``/``const`` initialiser) is evaluated once, statement by statement,
with its local bindings: ``let mut b = Client::builder(); b = b.timeout(..);`` carries the builder
along, ``if``/``match`` branches are evaluated on copies and joined (a setting two branches set
differently is unknown), helper functions in the file are evaluated with their arguments, and a
``build()`` (or ``Client::new()``) records the client where it is built. Durations, numbers,
``const``/``static`` items, arithmetic, ``.unwrap_or(..)`` fallbacks and fields of local config
structs (their ``impl Default`` or ``#[serde(default = "..")]`` function) are evaluated; anything
else is ``Unknown``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lunalint.rust.names import Names, collect_names
from lunalint.rust.parse import Parsed, text
from lunalint.rust.reqwest import SETTING_METHODS, client_spec, request_spec
from lunalint.rust.values import (
    Builder, Built, Call, Dur, NoneValue, Num, Request, StructValue, Typed, Unknown, Value, join,
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
            "Mutex::new", "RwLock::new"}
PASS_METHODS = {"unwrap", "expect", "map_err", "context", "with_context", "wrap_err", "wrap_err_with", "clone",
                "into", "to_owned", "ok", "unwrap_or_else_log", "expect_throw"}
REQUEST_METHODS = {"get", "post", "put", "patch", "delete", "head", "request"}
INTEGER_TYPES = {"u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"}
RELEVANT = rb"Client|[Bb]uilder|reqwest|timeout|\bbuild\b"
MAX_DEPTH = 4
MAX_STEPS = 200_000
FALLBACK_NOTE = "the .unwrap_or() fallback"


@dataclass
class Extracted:
    specs: list[ClientSpec]
    depends_on_lock: bool = False  # some client's keepalive depends on the locked reqwest version


@dataclass
class _Function:
    node: Node
    owner: str | None  # the impl's type, for ``self`` and ``Self``


@dataclass
class _Frame:
    """One function evaluation: its bindings (a stack of block scopes) and what it returns."""

    scopes: list[dict[str, Value]]
    owner: str | None
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


class _Budget(Exception):
    """The evaluation took too many steps: the rest of the file is not followed."""


class _Extractor:
    def __init__(self, parsed: Parsed, locked: Locked) -> None:
        self.parsed = parsed
        self.locked = locked
        self.root = parsed.tree.root_node
        self.names: Names = collect_names(self.root)
        self.functions: dict[str, list[_Function]] = {}
        self.constants: dict[str, Node] = {}
        self.structs: dict[str, Node] = {}
        self.defaults: dict[str, Node] = {}  # type -> its ``fn default()``
        self.const_values: dict[str, Value] = {}
        self.default_values: dict[str, Value] = {}
        self.specs: dict[Span, ClientSpec] = {}
        self.depends_on_lock = False
        self.depth = 0
        self.active: set[int] = set()
        self.steps = 0
        aliases = [re.escape(name) for name, full in self.names.aliases.items() if full.startswith("reqwest")]
        self.relevant = re.compile(b"|".join([RELEVANT, *(rf"\b{alias}\b".encode() for alias in aliases)]))
        self._index(self.root, None)

    # ---- the file's items

    def _index(self, node: Node, owner: str | None) -> None:
        for child in node.named_children:
            kind = child.type
            if kind == "function_item":
                name = text(child.child_by_field_name("name"))
                self.functions.setdefault(name, []).append(_Function(child, owner))
                if owner is not None and name == "default" and self._impl_trait(node) == "Default":
                    self.defaults[owner] = child
            elif kind in ("const_item", "static_item"):
                self.constants.setdefault(text(child.child_by_field_name("name")), child)
            elif kind == "struct_item":
                self.structs.setdefault(text(child.child_by_field_name("name")), child)
            elif kind == "impl_item":
                body = child.child_by_field_name("body")
                if body is not None:
                    self._index(body, _base_type(child.child_by_field_name("type")))
            elif kind in ("mod_item", "trait_item"):
                body = child.child_by_field_name("body")
                if body is not None:
                    self._index(body, None)

    @staticmethod
    def _impl_trait(body: Node) -> str:
        impl = body.parent
        if impl is None or impl.type != "impl_item":
            return ""
        return _base_type(impl.child_by_field_name("trait")) or ""

    def run(self) -> Extracted:
        try:
            self._items(self.root, None)
        except _Budget:
            pass
        return Extracted(list(self.specs.values()), self.depends_on_lock)

    def _items(self, node: Node, owner: str | None) -> None:
        for child in node.named_children:
            kind = child.type
            if kind == "function_item":
                if self.relevant.search(child.text or b""):
                    self._call_function(_Function(child, owner), None, [], standalone=True)
            elif kind in ("const_item", "static_item"):
                value = child.child_by_field_name("value")
                if value is not None and self.relevant.search(value.text or b""):
                    self._constant(text(child.child_by_field_name("name")))
            elif kind == "impl_item":
                body = child.child_by_field_name("body")
                if body is not None:
                    self._items(body, _base_type(child.child_by_field_name("type")))
            elif kind in ("mod_item", "trait_item"):
                body = child.child_by_field_name("body")
                if body is not None:
                    self._items(body, None)

    # ---- functions

    def _call_function(self, function: _Function, receiver: Value | None, args: list[Value],
                       *, standalone: bool = False) -> Value:
        node = function.node
        body = node.child_by_field_name("body")
        if body is None or node.id in self.active or self.depth >= MAX_DEPTH:
            return Unknown("a call that is not followed")
        frame = _Frame([{}], function.owner)
        params = node.child_by_field_name("parameters")
        positional = iter(args)
        for param in params.named_children if params is not None else ():
            if param.type == "self_parameter":
                frame.scopes[0]["self"] = receiver if receiver is not None else (
                    Typed(function.owner) if function.owner in self.structs else Unknown("self"))
                continue
            if param.type != "parameter":
                continue
            pattern = param.child_by_field_name("pattern")
            given = next(positional, None)
            name = text(pattern).removeprefix("mut ").strip()
            if given is None or (standalone and isinstance(given, Unknown)):
                given = self._typed(param.child_by_field_name("type"), param)
            if pattern is not None and name.isidentifier():
                frame.scopes[0][name] = given
        self.active.add(node.id)
        self.depth += 1
        try:
            value = self._block(body, frame)
        finally:
            self.depth -= 1
            self.active.discard(node.id)
        return join([value, *frame.returns]) if frame.returns else value

    def _typed(self, type_node: Node | None, param: Node) -> Value:
        """What a parameter of this type is when the caller is not known."""
        if type_node is None:
            return Unknown("a parameter")
        raw = re.sub(r"^(&\s*(mut\s+)?|mut\s+)", "", text(type_node)).strip()
        for wrapper in ("Arc<", "Rc<", "Box<"):
            if raw.startswith(wrapper) and raw.endswith(">"):
                raw = raw[len(wrapper):-1].strip()
        resolved = self.names.resolve(raw)
        if resolved in BUILDER_TYPES:
            return Builder(BUILDER_TYPES[resolved], self.parsed.span(param), base_known=False)
        if raw in self.structs:
            return Typed(raw)
        return Unknown("a parameter")

    def _find_function(self, name: str, owner: str | None) -> _Function | None:
        candidates = self.functions.get(name, [])
        if owner is not None:
            owned = [candidate for candidate in candidates if candidate.owner == owner]
            return owned[0] if len(owned) == 1 else None
        free = [candidate for candidate in candidates if candidate.owner is None]
        return free[0] if len(free) == 1 else None

    # ---- items with values

    def _constant(self, name: str) -> Value:
        if name in self.const_values:
            return self.const_values[name]
        item = self.constants.get(name)
        value_node = item.child_by_field_name("value") if item is not None else None
        if value_node is None:
            return Unknown(f"{name} is not a constant of this file")
        self.const_values[name] = Unknown(f"{name} refers to itself")
        value = self._expr(value_node, _Frame([{}], None))
        self.const_values[name] = value
        return value

    def _struct_default(self, type_name: str) -> Value:
        """The value of ``T::default()`` for a local type (its ``impl Default``)."""
        if type_name in self.default_values:
            return self.default_values[type_name]
        self.default_values[type_name] = Unknown(f"{type_name}::default() is not known")
        function = self.defaults.get(type_name)
        value: Value = Unknown(f"{type_name} has no impl Default in this file")
        if function is not None:
            value = self._call_function(_Function(function, type_name), None, [])
            if isinstance(value, StructValue):
                value = _noted(value, f"{type_name}::default()")
        self.default_values[type_name] = value
        return value

    def _field_of(self, value: Value, name: str) -> Value:
        if isinstance(value, StructValue):
            found = value.get(name)
            if found is not None:
                return _with_note(found, value.note) if value.note else found
            return self._field_of(Typed(value.type_name), name)
        if isinstance(value, Typed):
            default = self._struct_default(value.type_name)
            if isinstance(default, StructValue) and default.get(name) is not None:
                return self._field_of(default, name)
            serde = self._serde_default(value.type_name, name)
            if serde is not None:
                return serde
            declared = self._field_type(value.type_name, name)
            if declared is not None:
                return Typed(declared)
            return Unknown(f"{value.type_name}.{name} has no default in this file")
        return Unknown(f"field {name} of a value that is not known")

    def _struct_fields(self, type_name: str) -> Iterator[tuple[Node, list[Node]]]:
        """Each field declaration of a local struct, with the attributes written before it."""
        item = self.structs.get(type_name)
        body = item.child_by_field_name("body") if item is not None else None
        attributes: list[Node] = []
        for child in body.named_children if body is not None else ():
            if child.type == "attribute_item":
                attributes.append(child)
            elif child.type == "field_declaration":
                yield child, attributes
                attributes = []

    def _serde_default(self, type_name: str, name: str) -> Value | None:
        for declaration, attributes in self._struct_fields(type_name):
            if text(declaration.child_by_field_name("name")) != name:
                continue
            for attribute in attributes:
                match = re.search(r'default\s*=\s*"([A-Za-z_][\w:]*)"', text(attribute))
                if match is None:
                    continue
                function = self._find_function(match[1].rpartition("::")[2], None)
                if function is not None:
                    return _with_note(self._call_function(function, None, []), f"serde default {match[1]}()")
        return None

    def _field_type(self, type_name: str, name: str) -> str | None:
        for declaration, _ in self._struct_fields(type_name):
            if text(declaration.child_by_field_name("name")) == name:
                declared = _base_type(declaration.child_by_field_name("type"))
                return declared if declared in self.structs else None
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
                self._expr(alternative, _Frame(frame.copy(), frame.owner))
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
        if handler is not None:
            return handler(self, node, frame)
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
        if name in self.constants:
            return self._constant(name)
        return Unknown(f"{name} is not known")

    def _scoped(self, node: Node, frame: _Frame) -> Value:
        path = self.names.resolve(_path_text(node))
        owner, _, last = path.rpartition("::")
        if owner in DURATION_TYPES and last in DURATION_CONSTANTS:
            return Dur(DURATION_CONSTANTS[last], raw=f"Duration::{last}")
        if owner == "Self" and frame.owner is not None:
            owner = frame.owner
        if owner in self.structs or owner in self.functions or (owner and owner in self._owners()):
            if last in self.constants:
                return self._constant(last)
        if path in ("None", "Option::None", "std::option::Option::None"):
            return NoneValue()
        return Unknown(f"{path} is not known")

    def _owners(self) -> set[str]:
        return {function.owner for functions in self.functions.values() for function in functions
                if function.owner is not None}

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
        type_name = _base_type(node.child_by_field_name("name")) or ""
        if type_name == "Self" and frame.owner is not None:
            type_name = frame.owner
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
        elif type_name in self.structs and base is not None and _is_default_call(text(body)):
            default = self._struct_default(type_name)
            if isinstance(default, StructValue):
                fields = {**dict(default.fields), **fields}
        return StructValue(type_name, tuple(fields.items()))

    def _closure(self, node: Node, frame: _Frame) -> Value:
        body = node.child_by_field_name("body")
        if body is not None:
            inner = _Frame(frame.copy(), frame.owner)
            inner.scopes.append({name: Unknown("a closure parameter")
                                 for name in _identifiers(node.child_by_field_name("parameters"))})
            self._expr(body, inner)
        return Unknown("a closure")

    def _apply_closure(self, closure: Node, argument: Value, frame: _Frame) -> Value:
        """``|s| Duration::from_secs(s)`` applied to ``argument``."""
        params = _identifiers(closure.child_by_field_name("parameters"))
        body = closure.child_by_field_name("body")
        if body is None or len(params) > 1:
            return Unknown("a closure")
        inner = _Frame(frame.copy(), frame.owner)
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
        if left is not None and left.type == "identifier":
            frame.assign(text(left), value)
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
        if condition is not None:
            self._condition(condition, frame)
        alternative = node.child_by_field_name("alternative")
        otherwise = None
        if alternative is not None:
            otherwise = next(iter(alternative.named_children), None)
        return self._branches(frame, [node.child_by_field_name("consequence"), otherwise])

    def _condition(self, condition: Node, frame: _Frame) -> None:
        """Evaluate a condition (for the clients it builds); bind what ``if let`` patterns bind."""
        for part in [condition, *condition.named_children] if condition.type == "let_chain" else [condition]:
            if part.type == "let_condition":
                value = part.child_by_field_name("value")
                if value is not None:
                    self._expr(value, frame)
                frame.scopes[-1].update({name: Unknown("bound by a pattern")
                                         for name in _identifiers(part.child_by_field_name("pattern"))})
            elif part.type != "let_chain":
                self._expr(part, frame)

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
        return Unknown("a macro")

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
        closures = {index: arg for index, arg in enumerate(arg_nodes) if arg.type == "closure_expression"}
        args = [self._expr(arg, frame) for arg in arg_nodes]
        if function.type == "identifier" and frame.lookup(text(function)) is not None:
            return Unknown("a call of a local value")
        path = self.names.resolve(_path_text(function))
        entry = ENTRIES.get(path)
        if entry is not None:
            blocking, built = entry
            builder = Builder(blocking, self.parsed.span(node))
            return self._build(builder, node) if built else builder
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
        if last == "default" and not arg_nodes and owner in self.structs:
            return self._struct_default(owner)
        target = self._find_function(last, owner or None) if owner in ("", *self._owners()) else None
        if target is not None:
            for index in closures:
                args[index] = Unknown("a closure")
            return self._call_function(target, None, args)
        return Unknown(f"{path}() is not followed")

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
                span = self.parsed.span(function.child_by_field_name("field") or function, node)
                return receiver.with_call(method, Call(args[0], span))
            if method == "build":
                return self._build(receiver, node)
            return receiver
        if isinstance(receiver, Built):
            if method in PASS_METHODS:
                return receiver
            if method in REQUEST_METHODS and args:
                return Request(receiver.blocking)
            return Unknown(f".{method}() on a client")
        if isinstance(receiver, Request):
            if method == "timeout" and len(args) == 1:
                span = self.parsed.span(function.child_by_field_name("field") or function, node)
                self.specs.setdefault(span, request_spec(args[0], span, receiver.blocking))
                return receiver
            return receiver if method not in ("send", "build", "execute") else Unknown("a response")
        if method in REQUEST_METHODS and args and not isinstance(receiver, (Num, Dur, NoneValue, StructValue)):
            if receiver_node is not None and receiver_node.type != "scoped_identifier":
                return Request(None)
        return self._value_method(receiver, method, args, arg_nodes, frame)

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
            path = self.names.resolve(_path_text(arg_nodes[0]))
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

    def _build(self, builder: Builder, node: Node) -> Value:
        key = self.parsed.span(node)
        if key not in self.specs:
            spec = client_spec(builder, self.locked)
            keepalive = spec.keepalive
            if keepalive is not None and builder.base_known and builder.get("tcp_keepalive") is None:
                self.depends_on_lock = True
            elif isinstance(builder.get("tcp_keepalive"), Call):
                self.depends_on_lock = True
            self.specs[key] = spec
        return Built(builder.blocking, key)

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


def _is_default_call(body_text: str) -> bool:
    return bool(re.search(r"\.\.\s*(Self|[A-Z]\w*)?(::)?default\(\)|\.\.\s*Default::default\(\)", body_text))


def _base_type(node: Node | None) -> str | None:
    """``Foo`` for ``Foo``, ``Foo<T>``, ``crate::x::Foo``."""
    if node is None:
        return None
    raw = text(node)
    raw = raw.split("<", 1)[0].strip()
    return raw.rpartition("::")[2] or None


def _path_text(node: Node) -> str:
    """A path without generic arguments: ``Lazy::<Client>::new`` -> ``Lazy::new``."""
    return re.sub(r"::<[^>]*>|<[^>]*>", "", text(node)).replace(" ", "")


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


def extract(parsed: Parsed, locked: Locked) -> Extracted:
    return _Extractor(parsed, locked).run()
