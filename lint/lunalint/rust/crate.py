"""The crate around a checked Rust file: module paths to files of the same crate, read on demand.

``use crate::config::Timeouts;``, ``super::web_config::WebConfig::default()`` and
``http::make_client(..)`` (a child module) name items in other files of the crate. The crate is
found from the nearest ``Cargo.toml`` above the file (without one, the nearest ``src`` directory
holding a ``lib.rs`` or ``main.rs``): its ``src/lib.rs`` or ``src/main.rs`` is the root (a root of its own: ``src/bin/x.rs``, ``build.rs``, and files outside ``src/``), and a module
path maps to a file by Cargo's layout (``mod x;`` in ``a.rs`` or ``a/mod.rs`` is ``a/x.rs`` or
``a/x/mod.rs``; a ``#[path = ".."]`` on the ``mod`` declaration is followed). The package's own
name (``my_crate::..`` in ``main.rs``) is the library root.

Every file read this way (and the ``Cargo.toml``) is recorded for the result cache with its stat
key and digest (``project.Dependency``), as for Python modules: a change in ``config.rs`` makes
``client.rs`` be checked again. Parsed modules are kept per process while their stat is unchanged,
so the files of one crate checked one after another parse a shared module once.
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lunalint.rust.parse import Parsed

__all__ = ["Crate", "ModulePath", "record"]

MAX_MODULE_BYTES = 512 * 1024  # larger files are not read for items
MAX_LEVELS = 16  # directories above a file searched for its Cargo.toml
MAX_PARSED = 16  # parsed modules kept per process
SETTLED_NS = 2_000_000_000  # a kept parse is reused only for a file not modified just before
ModulePath = tuple[str, ...]  # ("crate", "client", "web_config")

_NAME = re.compile(rb'^\s*\[package\][^\[]*?^\s*name\s*=\s*"([^"]+)"', re.MULTILINE | re.DOTALL)
_PATH_ATTRIBUTE = re.compile(r'#\[\s*path\s*=\s*"([^"]+)"\s*\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;')
# ``name = { .. }`` in a manifest (a dependency table entry with options)
_PATH_DEPENDENCY = re.compile(rb'^\s*([A-Za-z0-9_-]+)\s*=\s*\{([^}\n]*)\}', re.MULTILINE)
_GLOB_USE = re.compile(rb"\buse\s[^;]*\*\s*;")
_parsed: OrderedDict[tuple[str, int, int], tuple[str, Parsed]] = OrderedDict()


@dataclass(frozen=True)
class _Layout:
    root: str  # the crate root file
    base: str  # the directory its ``mod x;`` declarations are found in
    package: str  # the package name as a path segment ("" unknown)
    library: str  # the package's library root (for ``package::..`` paths), "" if none


class Crate:
    """The files of the crate that ``path`` (a file on disk, or not) belongs to; with
    ``package``, the library of the package in that directory (a path dependency)."""

    def __init__(self, path: str, *, package: str | None = None, shared: Crate | None = None) -> None:
        self.path = os.path.abspath(path) if path else ""
        self._package_dir = package
        self._layout: _Layout | None | bool = False  # False: not looked up yet
        self._files: dict[ModulePath, str | None] = {}
        # what is read is shared by the crates one check reaches
        self._loaded: dict[str, Parsed | None] = shared._loaded if shared is not None else {}
        self._data: dict[str, bytes | None] = shared._data if shared is not None else {}
        self._found: dict[tuple[str, bytes], bool] = shared._found if shared is not None else {}
        self._dependencies: dict[str, Crate | None] = {}
        self._manifest_dir: str | None = None

    # ---- the layout

    def layout(self) -> _Layout | None:
        if self._layout is False:
            self._layout = self._find_layout()
        return self._layout if isinstance(self._layout, _Layout) else None

    def _find_layout(self) -> _Layout | None:
        if self._package_dir is not None:
            library = os.path.join(self._package_dir, "src", "lib.rs")
            if not os.path.isfile(library):
                return None
            self._manifest_dir = self._package_dir
            data = self.data(os.path.join(self._package_dir, "Cargo.toml")) or b""
            match = _NAME.search(data)
            name = match[1].decode("utf-8", "replace").replace("-", "_") if match else ""
            return _Layout(library, os.path.dirname(library), name, library)
        if not self.path or not os.path.isfile(self.path):
            return None
        directory = os.path.dirname(self.path)
        source_root: str | None = None  # without a manifest: the nearest ``src`` with a crate root
        for _ in range(MAX_LEVELS):
            manifest = os.path.join(directory, "Cargo.toml")
            if os.path.isfile(manifest):
                return self._layout_at(directory, manifest)
            if source_root is None and os.path.basename(directory) == "src" and (
                    os.path.isfile(os.path.join(directory, "lib.rs"))
                    or os.path.isfile(os.path.join(directory, "main.rs"))):
                source_root = os.path.dirname(directory)
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        return self._layout_at(source_root, None) if source_root is not None else None

    def _layout_at(self, package_dir: str, manifest: str | None) -> _Layout:
        self._manifest_dir = package_dir if manifest is not None else None
        data = (self.data(manifest) or b"") if manifest is not None else b""
        match = _NAME.search(data)
        package = match[1].decode("utf-8", "replace").replace("-", "_") if match else ""
        src = os.path.join(package_dir, "src")
        library = os.path.join(src, "lib.rs")
        library = library if os.path.isfile(library) else ""
        relative = os.path.relpath(self.path, src).split(os.sep)
        if relative[0] == os.pardir:  # build.rs, tests/, examples/, benches/: each file a root of its own
            return _Layout(self.path, os.path.dirname(self.path), package, library)
        if relative[0] == "bin" and len(relative) >= 2:
            if len(relative) == 2:
                return _Layout(self.path, os.path.dirname(self.path), package, library)
            base = os.path.join(src, "bin", relative[1])
            return _Layout(os.path.join(base, "main.rs"), base, package, library)
        main = os.path.join(src, "main.rs")
        if self.path == main or not library:
            return _Layout(main, src, package, library)
        return _Layout(library, src, package, library)

    def module_of(self, file: str) -> ModulePath | None:
        """The module path of the checked file (by the layout)."""
        layout = self.layout()
        if layout is None:
            return None
        if file in (layout.root, layout.library):
            return ("crate",)
        relative = os.path.relpath(file, layout.base).split(os.sep)
        if relative[0] == os.pardir or not relative[-1].endswith(".rs"):
            return None
        stem = relative[-1][:-3]
        parts = relative[:-1] if stem == "mod" else [*relative[:-1], stem]
        return ("crate", *parts)

    # ---- module paths to files

    def file_of(self, module: ModulePath) -> str | None:
        """The file that holds module ``module`` (None: no such file)."""
        if module in self._files:
            return self._files[module]
        layout = self.layout()
        found: str | None = None
        if layout is not None and module and module[0] == "crate":
            if len(module) == 1:
                found = layout.root
            else:
                parent = self.file_of(module[:-1])
                if parent is not None:
                    found = self._child(parent, module[-1], layout)
        self._files[module] = found
        return found

    def library_root(self) -> str | None:
        layout = self.layout()
        return layout.library if layout is not None and layout.library else None

    def package(self) -> str:
        layout = self.layout()
        return layout.package if layout is not None else ""

    def dependency(self, name: str) -> Crate | None:
        """The library of a path dependency of this package (``http_client`` for
        ``http-client = { path = "../http-client" }``, also through ``workspace = true``)."""
        if name in self._dependencies:
            return self._dependencies[name]
        self._dependencies[name] = None
        if self.layout() is None or self._manifest_dir is None:
            return None
        directory = self._dependency_dir(self._manifest_dir, name)
        if directory is not None:
            self._dependencies[name] = Crate(os.path.join(directory, "src", "lib.rs"), package=directory, shared=self)
        return self._dependencies[name]

    def _dependency_dir(self, manifest_dir: str, name: str) -> str | None:
        data = self.data(os.path.join(manifest_dir, "Cargo.toml")) or b""
        for match in _PATH_DEPENDENCY.finditer(data):
            if match[1].decode("utf-8", "replace").replace("-", "_") != name:
                continue
            path = re.search(rb'path\s*=\s*"([^"]+)"', match[2])
            if path is not None:
                return os.path.normpath(os.path.join(manifest_dir, path[1].decode("utf-8", "replace")))
            if re.search(rb"workspace\s*=\s*true", match[2]):
                return self._workspace_dependency(manifest_dir, name)
        return None

    def _workspace_dependency(self, manifest_dir: str, name: str) -> str | None:
        directory = os.path.dirname(manifest_dir)
        for _ in range(MAX_LEVELS):
            manifest = os.path.join(directory, "Cargo.toml")
            data = self.data(manifest) if os.path.isfile(manifest) else None
            if data is not None and b"[workspace" in data:
                return self._dependency_dir(directory, name) if directory != manifest_dir else None
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        return None

    def _child(self, parent: str, name: str, layout: _Layout) -> str | None:
        name = name.removeprefix("r#")
        directory = os.path.dirname(parent)
        stem = os.path.basename(parent)[:-3]
        if parent not in (layout.root, layout.library) and stem != "mod":
            directory = os.path.join(directory, stem)
        attributed = self._path_attribute(parent, name)
        if attributed is not None:
            candidate = os.path.normpath(os.path.join(os.path.dirname(parent), attributed))
            return candidate if os.path.isfile(candidate) else None
        for candidate in (os.path.join(directory, name + ".rs"), os.path.join(directory, name, "mod.rs")):
            if os.path.isfile(candidate):
                return candidate
        return None

    def _path_attribute(self, parent: str, name: str) -> str | None:
        data = self.data(parent)
        if data is None or b"#[path" not in data:
            return None
        for match in _PATH_ATTRIBUTE.finditer(data.decode("utf-8", "replace")):
            if match[2] == name:
                return match[1]
        return None

    # ---- reading

    def data(self, file: str) -> bytes | None:
        """The file's bytes (None: unreadable or too large); recorded as a dependency."""
        if file not in self._data:
            data = self._read(file)
            self._data[file] = data if data is not None and len(data) <= MAX_MODULE_BYTES else None
        return self._data[file]

    def may_define(self, file: str, name: str, wanted: re.Pattern[bytes] | None = None) -> bool:
        """Could the module in ``file`` define or re-export ``name`` (and, with ``wanted``, hold
        text it matches or re-export)? Not when its text never names it and has no glob ``use``.
        Cheaper than parsing it."""
        data = self.data(file)
        if data is None:
            return False
        if wanted is not None and not self.matches(file, wanted) and b"pub use" not in data:
            return False
        return name.encode() in data or self.matches(file, _GLOB_USE)

    def matches(self, file: str, pattern: re.Pattern[bytes]) -> bool:
        key = (file, pattern.pattern)
        if key not in self._found:
            data = self.data(file)
            self._found[key] = data is not None and pattern.search(data) is not None
        return self._found[key]

    def load(self, file: str) -> Parsed | None:
        """The parsed file (None: unreadable, too large or not UTF-8); recorded as a dependency."""
        if file in self._loaded:
            return self._loaded[file]
        self._loaded[file] = None
        try:
            stat = os.stat(file)
        except OSError:
            return None
        key = (file, stat.st_mtime_ns, stat.st_size)
        kept = _parsed.get(key) if stat.st_mtime_ns + SETTLED_NS < time.time_ns() else None
        if kept is not None:
            digest, parsed = kept
            _parsed.move_to_end(key)
            from lunalint.cache import stat_key

            self._record(file, stat_key(stat, time.time_ns()), digest)
            self._loaded[file] = parsed
            return parsed
        data = self.data(file)
        if data is None:
            return None
        from lunalint.cache import content_digest
        from lunalint.frontend import SourceError
        from lunalint.rust.parse import parse

        try:
            parsed = parse(data)
        except SourceError:
            return None
        _parsed[key] = (content_digest(data), parsed)
        if len(_parsed) > MAX_PARSED:
            _parsed.popitem(last=False)
        self._loaded[file] = parsed
        return parsed

    def _read(self, file: str) -> bytes | None:
        from lunalint.project import read_dependency

        read = read_dependency(file, MAX_MODULE_BYTES)
        if read is None:
            return None
        data, dependency = read
        self._record(file, dependency.stat_key, dependency.digest)
        return data

    @staticmethod
    def _record(file: str, key: str, digest: str) -> None:
        record(file, key, digest)


def record(file: str, key: str, digest: str) -> None:
    """Key the result of the file being checked on ``file`` too (``key``: ``cache.stat_key``)."""
    from lunalint.project import Dependency, active

    project = active()
    if project is not None and file != project.path:
        project.read[file] = Dependency(file, key, digest)
