"""Rust names: what ``use`` declarations bring into scope, and paths resolved through them.

``use reqwest::{Client as Http, blocking};`` makes ``Http::builder`` resolve to
``reqwest::Client::builder`` and ``blocking::Client::new`` to ``reqwest::blocking::Client::new``.
Every ``use`` in the file counts (a ``use`` inside a function is rare and names the same crate
items). A glob (``use reqwest::*;``) is followed for the crate paths lunalint knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lunalint.rust.parse import text

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["Names", "collect_names"]

# Names a glob import of these modules can bring in, as lunalint needs them.
GLOB_MEMBERS = {
    "reqwest": ("Client", "ClientBuilder", "blocking"),
    "reqwest::blocking": ("Client", "ClientBuilder"),
    "std::time": ("Duration",),
    "core::time": ("Duration",),
    "tokio::time": ("Duration",),
}


@dataclass
class Names:
    """Local name -> the path it stands for."""

    aliases: dict[str, str] = field(default_factory=dict)
    globs: list[str] = field(default_factory=list)  # ``use x::*;`` of modules lunalint does not know

    def resolve(self, path: str) -> str:
        """``Http::builder`` -> ``reqwest::Client::builder``; an unimported first segment stays."""
        path = path.removeprefix("::")
        head, _, rest = path.partition("::")
        full = self.aliases.get(head)
        if full is None:
            return path
        return f"{full}::{rest}" if rest else full


def collect_names(root: Node) -> Names:
    names = Names()
    stack = [(root, False)]
    while stack:
        node, nested = stack.pop()
        if node.type == "use_declaration":
            argument = node.child_by_field_name("argument")
            if argument is not None and not (nested and text(argument).startswith(("self", "super"))):
                _use(argument, "", names)  # (``super::`` in an inline ``mod`` names another module)
            continue
        if node.type in ("source_file", "declaration_list", "block", "function_item", "mod_item", "impl_item"):
            inner = nested or node.type == "mod_item"
            stack.extend((child, inner) for child in node.named_children)
    return names


def _join(prefix: str, path: str) -> str:
    path = path.removeprefix("::")
    return f"{prefix}::{path}" if prefix else path


def _use(node: Node, prefix: str, names: Names) -> None:
    kind = node.type
    if kind in ("identifier", "scoped_identifier", "crate", "self", "super"):
        full = _join(prefix, text(node))
        head, _, last = full.rpartition("::")
        if last == "self":
            full, last = head, head.rpartition("::")[2]
        if last and full not in ("crate", "self", "super"):
            names.aliases[last] = full
    elif kind == "use_as_clause":
        path, alias = node.child_by_field_name("path"), node.child_by_field_name("alias")
        if path is not None and alias is not None:
            full = _join(prefix, text(path))
            if full.endswith("::self"):
                full = full[: -len("::self")]
            names.aliases[text(alias)] = full
    elif kind == "scoped_use_list":
        path, listed = node.child_by_field_name("path"), node.child_by_field_name("list")
        inner = _join(prefix, text(path)) if path is not None else prefix
        if listed is not None:
            for child in listed.named_children:
                _use(child, inner, names)
    elif kind == "use_list":
        for child in node.named_children:
            _use(child, prefix, names)
    elif kind == "use_wildcard":
        path = node.named_children[0] if node.named_children else None
        module = _join(prefix, text(path)) if path is not None else prefix
        if module not in GLOB_MEMBERS:
            names.globs.append(module)
        for member in GLOB_MEMBERS.get(module, ()):
            names.aliases.setdefault(member, f"{module}::{member}")
