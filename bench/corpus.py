"""Build the benchmark corpus and the bench venv (idempotent; everything lives in bench/.work/).

Layout of ``bench/.work/``:

    venv/             python -m venv; the corpus packages and the peer linters installed into it
    corpus/           the whole tree that is scanned
      pkgs/NAME/      a package's source tree copied out of the venv's site-packages
      app/            a generated, seeded, app-like repository (about 5% of files build clients)
      pyproject.toml  a project with an empty [tool.lunalint] table: lunalint, like Ruff, skips a
                      pyproject.toml without its table, and would otherwise climb up into the
                      configuration of lunalint's own repository
    corpus4x/copyN/   four copies of corpus/, each file given a distinct trailing comment so that
                      no content-keyed cache can answer one copy from another
    nomatch/          plain modules none of which imports a client module (the prefilter probe)
    rust/             generated Rust modules, as many as app/ has Python files: about 5% build reqwest
                      clients, 2% name reqwest without building one (no real project's files are
                      copied); kept out of corpus/ so that the peers' tree stays Python only
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"

CORPUS_PACKAGES = ("httpx", "httpx2", "aiohttp", "requests", "urllib3", "openai", "anthropic")
# pip name -> (what to report, how to install)
PEERS = {
    "ruff": "ruff",
    "bandit": "bandit",
    "semgrep": "semgrep",
    "pylint": "pylint",
}
PY_SUFFIXES = (".py", ".pyi")
CORPUS_VERSION = "3"  # bump when the generator or the layout changes


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Venv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name

    def purelib(self) -> Path:
        out = subprocess.run([str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True)
        return Path(out.stdout.strip())

    def installed(self) -> dict[str, str]:
        out = subprocess.run([str(self.python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            return {}
        return {row["name"].lower(): row["version"] for row in json.loads(out.stdout)}


def ensure_venv(root: Path = WORK / "venv") -> Venv:
    venv = Venv(root)
    if not venv.python.exists():
        log(f"creating the bench venv in {root}")
        # The bench venv is made from the interpreter that runs the harness (python3 -m venv).
        base = getattr(sys, "_base_executable", None) or sys.executable
        subprocess.run([base, "-m", "venv", str(root)], check=True)
    return venv


def install_lunalint(repository: Path, root: Path = WORK / "lunalint-venv") -> Path:
    """This working tree installed as users install it (``pip install .``, not editable: an editable
    install's import hook costs about 15 ms of every run), in a venv of its own; its executable."""
    venv = ensure_venv(root)
    log(f"installing lunalint from {repository.name}/ (not editable) into {root.name}/")
    subprocess.run([str(venv.python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--force-reinstall", "--no-deps", str(repository)], check=True, capture_output=True)
    subprocess.run([str(venv.python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    str(repository)], check=True, capture_output=True)  # its dependencies, once
    return venv.bin("lunalint")


def pip_install(venv: Venv, names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Install ``names`` (skipping the present ones). Returns (installed, {name: why it failed})."""
    have = venv.installed()
    missing = [name for name in names if name.lower() not in have]
    failed: dict[str, str] = {}
    if missing:
        log(f"pip install {' '.join(missing)}")
        result = subprocess.run([str(venv.python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                 *missing], capture_output=True, text=True)
        if result.returncode != 0:
            # Retry one by one so that one failure does not hide the others.
            for name in missing:
                one = subprocess.run([str(venv.python), "-m", "pip", "install", "-q",
                                      "--disable-pip-version-check", name], capture_output=True, text=True)
                if one.returncode != 0:
                    lines = [ln for ln in (one.stderr or one.stdout).splitlines() if ln.strip()
                             and not ln.startswith("WARNING: Location")]
                    failed[name] = (lines[-1] if lines else f"pip exited {one.returncode}")[:160]
        have = venv.installed()
    return [name for name in names if name.lower() in have], failed


# --------------------------------------------------------------------------------------------
# The package part of the corpus


def _copy_package(src: Path, dst: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".so", ".pyd"))}

    shutil.copytree(src, dst, ignore=ignore)


def tree_stats(root: Path, suffixes: tuple[str, ...] = PY_SUFFIXES) -> tuple[int, int]:
    """(files with these suffixes (default: Python), their bytes) under ``root``."""
    count = size = 0
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in ("__pycache__", ".lunalint_cache", ".ruff_cache")]
        for filename in filenames:
            if filename.endswith(suffixes):
                count += 1
                size += os.path.getsize(os.path.join(directory, filename))
    return count, size


# --------------------------------------------------------------------------------------------
# The generated app-like repository


_WORDS = ("account", "invoice", "order", "user", "session", "payment", "report", "cache", "token", "event",
          "queue", "message", "profile", "catalog", "search", "upload", "billing", "audit", "metric", "export",
          "tenant", "project", "ticket", "review", "inventory", "shipment", "ledger", "policy", "quota", "model")
_STDLIB = ("import json", "import logging", "import os", "import re", "import time", "import uuid",
           "from collections import defaultdict", "from dataclasses import dataclass, field",
           "from datetime import datetime, timedelta", "from pathlib import Path", "import itertools",
           "from typing import Any, Iterable, Optional", "import functools", "import hashlib", "import enum")


def _ident(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(_WORDS) for _ in range(parts))


def _camel(rng: random.Random) -> str:
    return "".join(w.capitalize() for w in _ident(rng, rng.randint(1, 3)).split("_"))


def _function(rng: random.Random, name: str, indent: str = "", method: bool = False) -> str:
    args = ["self"] if method else []
    args += [f"{_ident(rng, 1)}_{i}: {rng.choice(['int', 'str', 'dict[str, Any]', 'list[str]', 'float'])}"
             for i in range(rng.randint(0, 3))]
    body = [f'"""{rng.choice(["Return", "Compute", "Build", "Load", "Check"])} the {_ident(rng).replace("_", " ")}."""']
    var = _ident(rng, 1)
    body.append(f"{var} = {rng.choice(['[]', '{}', '0', 'None', repr(_ident(rng))])}")
    for _ in range(rng.randint(2, 9)):
        kind = rng.randrange(7)
        other = _ident(rng, 1)
        if kind == 0:
            body.append(f"for {other} in range({rng.randint(2, 50)}):")
            body.append(f"    if {other} % {rng.randint(2, 7)} == 0:")
            body.append(f"        {var} = ({var}, {other})")
        elif kind == 1:
            body.append(f"{other}_map = {{k: v for k, v in enumerate({rng.choice(_WORDS)!r}) if v != {rng.choice('aeiou')!r}}}")
        elif kind == 2:
            body.append("try:")
            body.append(f"    {other} = json.loads({rng.choice(_WORDS)!r})")
            body.append("except (ValueError, KeyError) as error:")
            body.append(f"    logger.warning(\"{other} failed: %s\", error)")
        elif kind == 3:
            body.append(f"message = f\"{{{var}!r}} {_ident(rng).replace('_', ' ')} {{len(str({var}))}}\"")
        elif kind == 4:
            body.append(f"if {var} is None or not {var}:")
            body.append(f"    {var} = {rng.randint(0, 999)}")
            body.append("else:")
            body.append(f"    {var} = [{var}] * {rng.randint(1, 4)}")
        elif kind == 5:
            body.append(f"with open(os.devnull, \"w\", encoding=\"utf-8\") as {other}_handle:")
            body.append(f"    {other}_handle.write(str({var}))")
        else:
            body.append(f"{other}_total = sum(x * {rng.randint(1, 9)} for x in range({rng.randint(3, 30)}))")
    body.append(f"return {var}")
    ret = rng.choice(["Any", "object", "Optional[Any]"])
    lines = [f"{indent}def {name}({', '.join(args)}) -> {ret}:"]
    lines += [f"{indent}    {line}" for line in body]
    return "\n".join(lines) + "\n"


def _class(rng: random.Random) -> str:
    name = _camel(rng)
    out = []
    if rng.random() < 0.5:
        out.append("@dataclass")
        out.append(f"class {name}:")
        out.append(f'    """A {_ident(rng).replace("_", " ")} record."""')
        out.append("")
        for i in range(rng.randint(2, 8)):
            out.append(f"    {_ident(rng, 1)}_{i}: {rng.choice(['int', 'str', 'float'])} = {rng.choice(['0', repr(''), '0.0'])}")
    else:
        out.append(f"class {name}({rng.choice(['object', 'Exception', 'dict'])}):")
        out.append(f'    """Handles {_ident(rng).replace("_", " ")}."""')
        out.append("")
        out.append(f"    LIMIT = {rng.randint(1, 1000)}")
    out.append("")
    for _ in range(rng.randint(1, 5)):
        out.append(_function(rng, _ident(rng), indent="    ", method=True))
    return "\n".join(out) + "\n"


def _plain_module(rng: random.Random, header: list[str] | None = None) -> str:
    imports = sorted(set(rng.sample(_STDLIB, rng.randint(3, 8))) | {"import json", "import logging", "import os",
                                                                      "from typing import Any, Iterable, Optional",
                                                                      "from dataclasses import dataclass, field"})
    parts = [f'"""The {_ident(rng).replace("_", " ")} module."""', "", "from __future__ import annotations", ""]
    parts += imports + (header or []) + ["", "logger = logging.getLogger(__name__)", ""]
    parts.append(f"{_ident(rng).upper()} = {rng.randint(1, 10000)}")
    parts.append("")
    for _ in range(rng.randint(2, 12)):
        parts.append("")
        parts.append(_class(rng) if rng.random() < 0.4 else _function(rng, _ident(rng)))
    return "\n".join(parts) + "\n"


# Client constructions, good and bad, one snippet per library (and some per flavour).
_CLIENT_SNIPPETS: dict[str, list[tuple[str, str]]] = {
    "httpx": [
        ("import httpx", "client = httpx.Client()"),
        ("import httpx", "client = httpx.Client(timeout=httpx.Timeout(10.0, read=600.0), "
                         "limits=httpx.Limits(max_connections=20, keepalive_expiry=30.0))"),
        ("import httpx", "client = httpx.AsyncClient(timeout=None)"),
        ("import httpx", "TIMEOUT = 5\nclient = httpx.AsyncClient(timeout=TIMEOUT, limits=httpx.Limits(keepalive_expiry=None))"),
        ("from httpx import Client, Timeout", "client = Client(timeout=Timeout(connect=120.0, read=300.0, write=10.0, pool=5.0))"),
    ],
    "httpx2": [
        ("import httpx2", "client = httpx2.Client()"),
        ("import httpx2", "client = httpx2.AsyncClient(timeout=httpx2.Timeout(30.0, read=900.0))"),
        ("import httpx2 as hx", "client = hx.Client(timeout=None, limits=hx.Limits(keepalive_expiry=600))"),
    ],
    "aiohttp": [
        ("import aiohttp", "session = aiohttp.ClientSession()"),
        ("import aiohttp", "session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=60))"),
        ("from aiohttp import ClientSession, TCPConnector",
         "session = ClientSession(connector=TCPConnector(limit=50, keepalive_timeout=15))"),
    ],
    "requests": [
        ("import requests", "response = requests.get(\"https://api.example.com/items\")"),
        ("import requests", "response = requests.post(\"https://api.example.com/items\", json={}, timeout=10)"),
        ("import requests", "session = requests.Session()\nresponse = session.get(\"https://api.example.com/\")"),
        ("from requests import get", "response = get(\"https://api.example.com/health\", timeout=(3.05, 27))"),
    ],
    "openai": [
        ("import openai", "client = openai.OpenAI(timeout=600.0, max_retries=2)"),
        ("from openai import AsyncOpenAI", "client = AsyncOpenAI(timeout=None)"),
        ("import httpx\nfrom openai import OpenAI",
         "client = OpenAI(http_client=httpx.Client(timeout=httpx.Timeout(20.0, read=30.0)))"),
    ],
    "anthropic": [
        ("import anthropic", "client = anthropic.Anthropic()"),
        ("import anthropic\nimport httpx",
         "client = anthropic.AsyncAnthropic(timeout=httpx.Timeout(60.0, read=900.0, connect=5.0))"),
    ],
}


def _client_module(rng: random.Random) -> str:
    library = rng.choice(sorted(_CLIENT_SNIPPETS))
    chosen = rng.sample(_CLIENT_SNIPPETS[library], rng.randint(1, min(2, len(_CLIENT_SNIPPETS[library]))))
    header = sorted({line for imp, _ in chosen for line in imp.splitlines()})
    module = _plain_module(rng, header)
    for index, (_, code) in enumerate(chosen):
        name = f"make_{library}_{index}"
        body = textwrap.indent(code, "    ")
        last = code.splitlines()[-1].split("=")[0].strip()
        module += f"\n\ndef {name}() -> Any:\n    \"\"\"Build the shared {library} client.\"\"\"\n{body}\n    return {last}\n"
    if rng.random() < 0.5:  # a module-level client too, as apps often do
        module += f"\n\n{chosen[0][1].splitlines()[-1].split('=')[0].strip().upper()}_DEFAULT = make_{library}_0()\n"
    return module


def generate_app(root: Path, files: int, seed: int = 7, client_share: float = 0.05,
                 import_only_share: float = 0.02) -> dict[str, int]:
    """Write a deterministic app-like repository. Returns counts by kind."""
    rng = random.Random(seed)
    counts = {"client": 0, "import_only": 0, "plain": 0}
    packages = [f"{_ident(rng, 1)}_{i}" for i in range(max(1, files // 40))]
    # Exact shares (at least one file each when the share is not zero), placed at seeded positions.
    order = list(range(files))
    rng.shuffle(order)
    n_client = max(1, round(files * client_share)) if client_share else 0
    n_import = max(1, round(files * import_only_share)) if import_only_share else 0
    clients, import_only = set(order[:n_client]), set(order[n_client:n_client + n_import])
    for index in range(files):
        package = packages[index % len(packages)]
        if index in clients:
            kind, text = "client", _client_module(rng)
        elif index in import_only:
            # Imports a client module (for its exception types) but builds no client: passes the
            # prefilter, finds nothing.
            kind, text = "import_only", _plain_module(rng, ["from httpx import HTTPStatusError, RequestError"])
        else:
            kind, text = "plain", _plain_module(rng)
        compile(text, f"<app {index}>", "exec", dont_inherit=True)  # the generator must write valid Python
        path = root / package / f"{_ident(rng)}_{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        counts[kind] += 1
    for package in packages:
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    return counts


_RUST_CLIENTS = (
    ("use reqwest::Client;\nuse std::time::Duration;",
     "Client::builder()\n        .timeout(Duration::from_secs({t}))\n        .pool_idle_timeout(Duration::from_secs({i}))"
     "\n        .build()\n        .expect(\"client\")"),
    ("use reqwest::ClientBuilder;\nuse std::time::Duration;",
     "ClientBuilder::new()\n        .read_timeout(Duration::from_secs({t}))\n        .connect_timeout(Duration::from_millis({c}))"
     "\n        .tcp_keepalive(Duration::from_secs(30))\n        .build()\n        .expect(\"client\")"),
    ("use reqwest::blocking;", "blocking::Client::new()"),
)


def _rust_function(rng: random.Random, name: str) -> str:
    args = [f"{_ident(rng, 1)}_{i}: u64" for i in range(rng.randint(0, 3))]
    lines = [f"pub fn {name}({', '.join(args)}) -> u64 {{", "    let mut total = 0u64;"]
    for arg in (a.split(":")[0] for a in args):
        lines.append(f"    total = total.wrapping_add({arg} * {rng.randint(2, 99)});")
    for _ in range(rng.randint(2, 8)):
        value = _ident(rng, 1)
        lines.append(f"    let {value} = total.wrapping_mul({rng.randint(3, 999)}) % {rng.randint(7, 9999)};")
        lines.append(f"    if {value} > {rng.randint(1, 500)} {{ total = total.wrapping_add({value}); }}")
    lines += ["    total", "}"]
    return "\n".join(lines)


def _rust_module(rng: random.Random, header: list[str], extra: str = "") -> str:
    parts = ["//! Generated benchmark module.", "", *header, "use std::collections::HashMap;", ""]
    name = _camel(rng)
    parts += [f"#[derive(Debug, Clone, Default)]\npub struct {name} {{\n    pub id: u64,\n    pub label: String,\n"
              f"    pub tags: HashMap<String, u64>,\n}}\n",
              f"impl {name} {{\n    pub fn weight(&self) -> u64 {{\n        self.tags.values().sum::<u64>() + self.id\n    }}\n}}\n"]
    parts += [_rust_function(rng, f"{_ident(rng)}_{i}") + "\n" for i in range(rng.randint(3, 10))]
    return "\n".join(parts) + extra


def generate_rust_app(root: Path, files: int, seed: int = 13, client_share: float = 0.05,
                      mention_share: float = 0.02) -> dict[str, int]:
    """Write a deterministic Rust source tree (modules only; it is never compiled)."""
    rng = random.Random(seed)
    counts = {"client": 0, "mention_only": 0, "plain": 0}
    order = list(range(files))
    rng.shuffle(order)
    n_client = max(1, round(files * client_share)) if client_share else 0
    n_mention = max(1, round(files * mention_share)) if mention_share else 0
    clients, mentions = set(order[:n_client]), set(order[n_client:n_client + n_mention])
    for index in range(files):
        if index in clients:
            header, chain = rng.choice(_RUST_CLIENTS)
            body = chain.format(t=rng.choice((30, 60, 600, 900)), i=rng.choice((30, 90, 300)), c=rng.choice((500, 5000)))
            kind = "client"
            text = _rust_module(rng, header.splitlines(), f"\npub fn make_client() -> impl Sized {{\n    {body}\n}}\n")
        elif index in mentions:
            kind, text = "mention_only", _rust_module(rng, ["use reqwest::StatusCode;"])
        else:
            kind, text = "plain", _rust_module(rng, [])
        path = root / f"m{index // 50}" / f"{_ident(rng)}_{index}.rs"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        counts[kind] += 1
    return counts


# --------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    venv: Venv
    root: Path  # the whole tree
    root4x: Path
    nomatch: Path
    three_files: list[Path]
    packages: dict[str, str]  # name -> version (those in the corpus)
    missing_packages: dict[str, str]
    app_counts: dict[str, int]
    files: int
    bytes: int
    files4x: int
    bytes4x: int
    pkg_stats: dict[str, tuple[int, int]]
    rust: Path  # the generated Rust tree
    rust_files: int


def _write_project(path: Path, name: str) -> None:
    text = f'[project]\nname = "{name}"\nversion = "0"\n\n[tool.lunalint]\n'
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _stamp(packages: dict[str, str], app_files: int, quick: bool) -> str:
    data = json.dumps([CORPUS_VERSION, sorted(packages.items()), app_files, quick], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def build(quick: bool = False, app_files: int = 1000, rebuild: bool = False) -> Corpus:
    WORK.mkdir(parents=True, exist_ok=True)
    venv = ensure_venv()
    got, failed = pip_install(venv, list(CORPUS_PACKAGES))
    versions = venv.installed()
    packages = {name: versions[name.lower()] for name in got}
    base = WORK / ("quick" if quick else "full")
    root, root4x, nomatch = base / "corpus", base / "corpus4x", base / "nomatch"
    stamp_file = base / "STAMP"
    stamp = _stamp(packages, app_files, quick)
    if rebuild or not stamp_file.exists() or stamp_file.read_text() != stamp:
        log(f"building the corpus in {base}")
        shutil.rmtree(base, ignore_errors=True)
        root.mkdir(parents=True)
        site = venv.purelib()
        for name in got:
            src = site / name
            if not src.is_dir():
                failed[name] = f"no {name}/ in site-packages"
                continue
            if quick:  # the tiny corpus: the three pre-commit files' packages, a few files each
                dst = root / "pkgs" / name
                dst.mkdir(parents=True)
                keep = {"api.py", "sessions.py", "_client.py", "__init__.py", "_models.py", "client.py"}
                for f in sorted(src.glob("*.py")):
                    if f.name in keep:
                        shutil.copy2(f, dst / f.name)
            else:
                _copy_package(src, root / "pkgs" / name)
        counts = generate_app(root / "app", app_files)
        counts.update({f"rust_{kind}": n for kind, n in generate_rust_app(base / "rust", app_files).items()})
        (base / "app_counts.json").write_text(json.dumps(counts))
        # 4x: distinct content per copy so that a content-keyed cache cannot share work between copies.
        for copy in range(4):
            for src in sorted(root.rglob("*")):
                rel = src.relative_to(root)
                dst = root4x / f"copy{copy}" / rel
                if src.is_dir():
                    dst.mkdir(parents=True, exist_ok=True)
                elif src.suffix in PY_SUFFIXES:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    data = src.read_bytes()
                    sep = b"" if not data or data.endswith((b"\n", b"\r")) else b"\n"
                    dst.write_bytes(data + sep + f"# bench copy {copy}\n".encode())
                else:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dst)
        # The prefilter probe: plain modules only.
        generate_app(nomatch / "plain", 40 if not quick else 10, seed=11, client_share=0.0, import_only_share=0.0)
        stamp_file.write_text(stamp)
    # Written on every build (so that older corpora get them too): each tree is its own project.
    projects = [(root, "bench-corpus"), (root4x, "bench-corpus-4x"), (nomatch, "bench-nomatch"),
                (base / "rust", "bench-rust")]
    projects += [(root4x / f"copy{copy}", f"bench-corpus-copy{copy}") for copy in range(4)]
    for directory, name in projects:
        _write_project(directory / "pyproject.toml", name)
    counts = json.loads((base / "app_counts.json").read_text())
    three = [root / "pkgs" / "requests" / "api.py", root / "pkgs" / "requests" / "sessions.py",
             root / "pkgs" / "httpx" / "_client.py"]
    files, size = tree_stats(root)
    files4x, size4x = tree_stats(root4x)
    pkg_stats = {name: tree_stats(root / "pkgs" / name) for name in packages if (root / "pkgs" / name).is_dir()}
    pkg_stats["app (generated)"] = tree_stats(root / "app")

    return Corpus(venv, root, root4x, nomatch, [p for p in three if p.exists()], packages, failed, counts,
                  files, size, files4x, size4x, pkg_stats, base / "rust", tree_stats(base / "rust", (".rs",))[0])


def install_peers(venv: Venv) -> tuple[dict[str, str], dict[str, str]]:
    """Install the peers; returns ({peer: version}, {peer: why not})."""
    got, failed = pip_install(venv, list(PEERS))
    versions = venv.installed()
    ok = {}
    for name in PEERS:
        if name in got and venv.bin(name).exists():
            ok[name] = versions.get(name, "?")
        elif name not in failed:
            failed[name] = "installed but no executable in the bench venv"
    return ok, failed
