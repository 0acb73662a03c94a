"""The items of a checked Rust file and of the files of its crate it reaches.

``Items`` indexes a file's functions (with their ``impl`` type), ``const``/``static`` items (also
those written in ``lazy_static!`` and ``thread_local!``), structs and ``impl Default``s, and
resolves a path as written in a module (``use`` aliases, ``crate::``, ``self::``, ``super::``,
child modules, the package's own name, path dependencies) to the module that defines it,
following ``pub use`` re-exports and globs. Other files are parsed only when their text may
define the name (and, for functions, speaks of what can configure a client); a file read only for
its re-exports parses its ``use`` declarations alone. ``crate.py`` maps module paths to files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lunalint.rust.crate import Crate, ModulePath
from lunalint.rust.names import Names, collect_names
from lunalint.rust.parse import Parsed, text

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from lunalint.rust.values import Value

__all__ = ["FOLLOW", "HOME", "LAZY", "Function", "Items", "Module", "base_type", "find_function"]

HOME = ""  # the key of the checked file's module
LAZY = "?"  # the key of a type not resolved yet: "?" + the key of the module that names it + NUL + the path
STATIC_MACROS = ("lazy_static", "thread_local")  # macros whose body is ``static`` items
MAX_REEXPORTS = 4  # ``pub use`` re-exports followed in a row
# what a function of another file (or a method) must speak of to be followed, unless handed a builder
FOLLOW = re.compile(rb"reqwest|ClientBuilder|[Tt]imeout|Duration|keepalive|pool_idle")
_USE = re.compile(rb"^[ \t]*(?:pub(?:\([^)]*\))?\s+)?use\s[^;]*;", re.MULTILINE)


@dataclass
class Module:
    """One file's items: the checked file (``key`` ``HOME``) or another file of its crate."""

    key: str
    parsed: Parsed
    path: ModulePath | None
    names: Names
    crate: Crate
    functions: dict[str, list[Function]] = field(default_factory=dict)
    constants: dict[str, Node] = field(default_factory=dict)
    structs: dict[str, Node] = field(default_factory=dict)
    defaults: dict[str, Node] = field(default_factory=dict)  # type -> its ``fn default()``
    const_values: dict[str, Value] = field(default_factory=dict)
    default_values: dict[str, Value] = field(default_factory=dict)
    owners: set[str] = field(default_factory=set)  # types with an ``impl`` here
    inline: set[str] = field(default_factory=set)  # ``mod x { .. }`` written here (their items are read as this file's)
    macro_statics: list[Node] = field(default_factory=list)  # ``static``s written in ``lazy_static!`` ..
    trees: list[Tree] = field(default_factory=list)  # keeps the macro bodies' trees alive

    def defines(self, name: str) -> bool:
        return name in self.functions or name in self.constants or name in self.structs or name in self.owners


@dataclass
class Function:
    node: Node
    owner: str | None  # the impl's type, for ``self`` and ``Self``
    module: Module


class Items:
    """The checked file's module (``home``) and the modules of its crate it reaches, read on demand."""

    def __init__(self, parsed: Parsed, path: str) -> None:
        self.crate = Crate(path)
        self.path = self.crate.path
        self.home = Module(HOME, parsed, None, collect_names(parsed.tree.root_node), self.crate)
        self._module_path_known = False
        self.modules: dict[str, Module] = {}
        self.located: dict[tuple[str, str, int, bool], tuple[Module, list[str]] | None] = {}
        self.index(self.home, parsed.tree.root_node, None)

    def close(self) -> None:
        """Break the cycles between modules and their functions, so their trees are freed now
        rather than at the next full garbage collection."""
        for module in [self.home, *self.modules.values()]:
            module.functions.clear()
            module.trees.clear()
        self.modules.clear()
        self.located.clear()


    def index(self, module: Module, node: Node, owner: str | None) -> None:
        for child in node.named_children:
            kind = child.type
            if kind == "function_item":
                name = text(child.child_by_field_name("name"))
                module.functions.setdefault(name, []).append(Function(child, owner, module))
                if owner is not None and name == "default" and self._impl_trait(node) == "Default":
                    module.defaults[owner] = child
            elif kind in ("const_item", "static_item"):
                module.constants.setdefault(text(child.child_by_field_name("name")), child)
            elif kind == "struct_item":
                module.structs.setdefault(text(child.child_by_field_name("name")), child)
            elif kind == "impl_item":
                body = child.child_by_field_name("body")
                impl_type = base_type(child.child_by_field_name("type"))
                if impl_type is not None:
                    module.owners.add(impl_type)
                if body is not None:
                    self.index(module, body, impl_type)
            elif kind in ("mod_item", "trait_item"):
                body = child.child_by_field_name("body")
                if body is not None:
                    if kind == "mod_item":
                        module.inline.add(text(child.child_by_field_name("name")))
                    self.index(module, body, None)
            elif kind in ("macro_invocation", "expression_statement") and owner is None:
                for static in self._macro_statics(module, child):
                    module.constants.setdefault(text(static.child_by_field_name("name")), static)
                    module.macro_statics.append(static)

    def _macro_statics(self, module: Module, node: Node) -> list[Node]:
        """The ``static`` items in a ``lazy_static! { static ref X: T = ..; }`` or ``thread_local!``
        body, parsed from the file's text with everything else blanked (so positions stay)."""
        if node.type == "expression_statement":
            node = node.named_children[0] if node.named_children else node
        if node.type != "macro_invocation":
            return []
        name = text(node.child_by_field_name("macro")).rpartition("::")[2]
        body = next((child for child in node.named_children if child.type == "token_tree"), None)
        if name not in STATIC_MACROS or body is None or body.end_byte - body.start_byte < 3:
            return []
        data = module.parsed.data
        start, end = body.start_byte + 1, body.end_byte - 1
        inner = re.sub(rb"\bstatic(\s+)ref\b", lambda match: b"static" + match[1] + b"   ", data[start:end])
        masked = re.sub(rb"[^\n]", b" ", data[:start]) + inner + re.sub(rb"[^\n]", b" ", data[end:])
        from lunalint.rust.parse import parse

        tree = parse(masked).tree
        module.trees.append(tree)
        return [child for child in tree.root_node.named_children if child.type == "static_item"]

    @staticmethod
    def _impl_trait(body: Node) -> str:
        impl = body.parent
        if impl is None or impl.type != "impl_item":
            return ""
        return base_type(impl.child_by_field_name("trait")) or ""


    def module_path(self, module: Module) -> ModulePath | None:
        if module is self.home and not self._module_path_known:
            self._module_path_known = True
            module.path = self.crate.module_of(self.path) if self.path else None
        return module.path

    def module(self, file: str, path: ModulePath, crate: Crate) -> Module | None:
        if file == self.path:
            return self.home
        if file in self.modules:
            return self.modules[file]
        parsed = crate.load(file)
        if parsed is None:
            return None
        module = Module(file, parsed, path, collect_names(parsed.tree.root_node), crate)
        self.index(module, parsed.tree.root_node, None)
        self.modules[file] = module
        return module

    def reexports(self, file: str, path: ModulePath, crate: Crate) -> Module | None:
        """A module read for its ``use`` declarations only (they are parsed alone)."""
        if file in self.modules:
            return self.modules[file]
        key = f"{file}\0uses"
        if key not in self.modules:
            data = crate.data(file)
            if data is None:
                return None
            uses = b"\n".join(match[0] for match in _USE.finditer(data))
            from lunalint.rust.parse import parse

            parsed = parse(uses)
            self.modules[key] = Module(file, parsed, path, collect_names(parsed.tree.root_node), crate)
        return self.modules[key]

    def by_key(self, key: str, *, functions: bool = False) -> Module | None:
        if key.startswith(LAZY):  # a struct literal's type, resolved only when needed
            where, _, written = key[len(LAZY):].partition("\0")
            module = self.by_key(where)
            home = self.type_home(module, written, functions=functions) if module is not None else None
            return home[0] if home is not None else None
        return self.home if key == HOME else self.modules.get(key)

    def absolute(self, module: Module, segments: list[str]) -> tuple[Crate, list[str]] | None:
        """A path as written in ``module`` (after its ``use`` aliases) from its crate's root, and
        that crate (``module``'s, or a path dependency's); None for a path into another crate."""
        crate = module.crate
        head = segments[0]
        if head == "crate":
            return crate, segments
        here = self.module_path(module)
        if here is None:
            return None
        if head in ("self", "super"):
            base = list(here)
            rest = segments
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    if len(base) <= 1:
                        return None
                    base.pop()
                rest = rest[1:]
            return crate, base + rest
        if not head[:1].islower() or len(segments) < 2:
            return None
        if head == crate.package() and crate.library_root() is not None:
            return crate, ["crate", *segments[1:]]
        if crate.file_of((*here, head)) is not None:
            return crate, [*here, *segments]
        dependency = crate.dependency(head)  # ``http_client::..`` with ``http-client = { path = .. }``
        return (dependency, ["crate", *segments[1:]]) if dependency is not None else None

    def locate(self, module: Module, path: str, hops: int = 0, *, functions: bool = False
                ) -> tuple[Module, list[str]] | None:
        """The module that defines what ``path`` (resolved through ``module``'s ``use``s) names,
        and the rest of the path in it (``["WebConfig", "default"]``); None outside the crate.
        With ``functions``, a module is read only if its text may hold a function worth following."""
        key = (module.key, path, hops, functions)
        if key not in self.located:
            self.located[key] = self._locate_uncached(module, path, hops, functions)
        return self.located[key]

    def _locate_uncached(self, module: Module, path: str, hops: int, functions: bool
                         ) -> tuple[Module, list[str]] | None:
        if hops > MAX_REEXPORTS or not path:
            return None
        resolved = module.names.resolve(path)
        if resolved.startswith("reqwest") or resolved.startswith("std::"):
            return None
        found = self.absolute(module, resolved.split("::"))
        if found is None:
            return None
        crate, absolute = found
        for split in range(len(absolute), 0, -1):
            file = crate.file_of(tuple(absolute[:split]))
            if file is None:
                continue
            if split < len(absolute) and not crate.may_define(file, absolute[split], FOLLOW if functions else None):
                return None  # (decided without parsing it)
            if functions and split < len(absolute) and not crate.matches(file, FOLLOW):
                # nothing there is worth following: only its ``pub use`` re-exports can matter
                target = self.reexports(file, tuple(absolute[:split]), crate)
            else:
                target = self.module(file, tuple(absolute[:split]), crate)
            rest = absolute[split:]
            while target is not None and len(rest) > 1 and rest[0] in target.inline:
                rest = rest[1:]
            if target is None or not rest:
                return None
            if target.defines(rest[0]):
                return target, rest
            alias = target.names.aliases.get(rest[0])
            if alias is not None:  # ``pub use other::Item;``
                return self.locate(target, "::".join([alias, *rest[1:]]), hops + 1, functions=functions)
            for glob in target.names.globs:  # ``pub use other::*;``
                located = self.locate(target, "::".join([glob, *rest]), hops + 1, functions=functions)
                if located is not None:
                    return located
            return None
        return None

    def type_home(self, module: Module, type_text: str, *, functions: bool = False) -> tuple[Module, str] | None:
        """The module defining the struct a type names (``Config``, ``crate::cfg::Config``);
        with ``functions``, only if its text may hold a method worth following."""
        name = type_text.split("<", 1)[0].strip()
        if name in module.structs:
            return module, name
        found = self.locate(module, name, functions=functions)
        if found is not None and len(found[1]) == 1 and found[1][0] in found[0].structs:
            return found[0], found[1][0]
        return None

    def in_crate(self, module: Module, type_text: str) -> bool:
        """Does a type name a path of this crate (not resolved further: no file is read)?"""
        name = type_text.split("<", 1)[0].strip()
        if not ("::" in name or name in module.names.aliases) or not name.replace("::", "").isidentifier():
            return False
        return self.absolute(module, module.names.resolve(name).split("::")) is not None


def find_function(module: Module, name: str, owner: str | None) -> Function | None:
    candidates = module.functions.get(name, [])
    if owner is not None:
        owned = [candidate for candidate in candidates if candidate.owner == owner]
        return owned[0] if len(owned) == 1 else None
    free = [candidate for candidate in candidates if candidate.owner is None]
    return free[0] if len(free) == 1 else None


def base_type(node: Node | None) -> str | None:
    """``Foo`` for ``Foo``, ``Foo<T>``, ``crate::x::Foo``."""
    if node is None:
        return None
    raw = text(node)
    raw = raw.split("<", 1)[0].strip()
    return raw.rpartition("::")[2] or None
