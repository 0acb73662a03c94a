"""The engine: parse a file, extract ClientSpecs through the library registry, run the rules.

It knows no rule and no library by name. ``check_paths`` is the whole pipeline; ``check_source``
checks one file's bytes and is what tests and the property tests call.
"""

from __future__ import annotations

import bisect
import fnmatch
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from lunalint.cache import NOTHING, content_digest
from lunalint.config import Settings
from lunalint.discover import Discovered, PathError, discover, imports_client_module
from lunalint.report import FileError, Report, Violation
from lunalint.rules import RuleInfo, matches, rule_classes, select_rule_infos

if TYPE_CHECKING:
    import ast

    import libcst as cst

    from multiprocessing.context import BaseContext

    from lunalint.cache import Cache
    from libcst.metadata import CodeRange

    from lunalint.receivers import Receivers
    from lunalint.rules.base import Finding, Rule

    from lunalint.scope import ModuleScan, Scope
    from lunalint.spec import ClientSpec, Setting
    from lunalint.suppress import Suppressions
    from lunalint.values import Obj

__all__ = ["FileResult", "check_paths", "check_source", "extract_specs"]

INTERNAL_ERROR_HINT = "this is a bug in lunalint; please report it with the file that triggers it"


@dataclass
class FileResult:
    violations: list[Violation] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def check_paths(paths: Sequence[Path], settings: Settings, *, jobs: int | None = None,
                cache_dir: Path | None = None) -> Report:
    """Discover, check and collect every file under ``paths``.

    The main process walks the tree and answers from the cache what it can by ``stat`` alone
    (without importing a rule, a library model or libcst); every other file is a small job (its
    path) for ``jobs`` worker processes (default: one per core), which read, prefilter, parse and
    analyse it. File contents never pass through the main process, so its memory (which forked
    workers inherit) stays small on any tree.
    """
    rules = _active_rules(settings)
    report = Report()
    cache = _open_cache(cache_dir, settings, rules)
    pending: list[_Job] = []
    results: dict[int, FileResult] = {}
    items = discover(paths, settings.exclude + settings.extend_exclude, settings.root, stat=cache is not None,
                     known_in=cache.known_in if cache is not None else None,
                     respect_gitignore=settings.respect_gitignore, force_exclude=settings.force_exclude)
    for index, item in enumerate(items):
        if isinstance(item, PathError):
            results[index] = FileResult(errors=[FileError(item.display, item.message, code="E002")])
            continue
        report.files_checked += 1
        key = item.absolute or os.path.abspath(item.path)
        known: str | None = None
        if cache is not None:
            if item.stat is not None:  # None: the worker reports why it cannot read the file
                hit = cache.lookup_stat(key, item.stat, item.display)
                if hit is not None:
                    if hit is not NOTHING:
                        results[index] = FileResult(*hit)
                    continue
            known = cache.digest_of(key)
        pending.append(_Job(index, key, item.display, _rules_for_file(key, settings, rules),
                            cache is not None, known))
    for done in _run_jobs(pending, settings, jobs):
        job = pending[done.position]
        if done.result is None:  # unchanged content: the cached result stands, if it can be read
            assert cache is not None and done.stat is not None
            cached = cache.lookup_digest(job.key, done.digest, done.stat, done.read_ns, job.display)
            if cached is not None:
                results[job.file_index] = FileResult(*cached)
                continue
            done = _run_job(done.position, job._replace(known_digest=None), settings)
            assert done.result is not None
        results[job.file_index] = done.result
        if cache is not None and done.stat is not None:
            cache.store(job.key, done.digest, done.stat, done.read_ns, done.result.violations, done.result.errors)
    if cache is not None:
        report.files_checked += cache.answered  # unchanged, without findings: never left the walk
    for _, result in sorted(results.items()):
        report.violations.extend(result.violations)
        report.errors.extend(result.errors)
    if cache is not None:
        cache.save()
    report.sort()
    return report


class _Job(NamedTuple):  # tuples: cheaper to define, build and pickle than dataclasses
    file_index: int  # in discovery order
    key: str  # absolute path
    display: str
    rules: tuple[str, ...]  # codes: cheap to send to a worker, which imports only these rules
    want_digest: bool
    known_digest: str | None  # the cached content hash for this path, if any


class _Done(NamedTuple):
    position: int  # in the job list
    result: FileResult | None  # None: content unchanged since it was cached
    digest: str = ""
    stat: os.stat_result | None = None  # None: not cacheable (the file could not be read)
    read_ns: int = 0  # when the worker began reading the file (for the cache's racy-stat check)


def _open_cache(cache_dir: Path | None, settings: Settings, rules: Sequence[RuleInfo]) -> Cache | None:
    if cache_dir is None:
        return None
    from lunalint.cache import Cache

    configuration = repr((settings.policy, settings.per_file_ignores, str(settings.root),
                          [rule.code for rule in rules]))
    return Cache(cache_dir, configuration)


def _read(path: str, display: str) -> FileResult | tuple[bytes, os.stat_result]:
    """The file's bytes and stat, or a one-line read error."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            return handle.read(), stat
    except FileNotFoundError:
        return FileResult(errors=[FileError(display, "file disappeared before it could be read", "E002")])
    except IsADirectoryError:
        return FileResult(errors=[FileError(display, "is a directory", "E002")])
    except OSError as error:
        return FileResult(errors=[FileError(display, f"cannot read: {error.strerror or error}", "E002")])


PARALLEL_THRESHOLD = 32  # fewer files than this are checked in-process (no worker start-up)
_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings


def _run_job(position: int, job: _Job, settings: Settings) -> _Done:
    read_ns = time.time_ns()
    read = _read(job.key, job.display)
    if isinstance(read, FileResult):
        return _Done(position, read)
    data, stat = read
    digest = content_digest(data) if job.want_digest else ""
    if job.known_digest is not None and digest == job.known_digest:
        return _Done(position, None, digest, stat, read_ns)
    if not job.rules or not (imports_client_module(data) or "LL902" in job.rules):  # LL902: comments
        return _Done(position, FileResult(), digest, stat, read_ns)
    return _Done(position, check_source(data, job.display, settings, rule_classes(job.rules)), digest, stat, read_ns)


def _run_in_worker(item: tuple[int, _Job]) -> _Done:
    assert _worker_settings is not None
    return _run_job(item[0], item[1], _worker_settings)


def _run_jobs(pending: list[_Job], settings: Settings, jobs: int | None) -> Iterable[_Done]:
    workers = min(jobs or os.cpu_count() or 1, len(pending))
    if workers <= 1 or len(pending) < PARALLEL_THRESHOLD:
        return (_run_job(position, job, settings) for position, job in enumerate(pending))
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux" else None
    chunk = max(1, min(64, len(pending) // (workers * 16)))
    return _pooled(pending, settings, workers, multiprocessing.get_context(method), chunk)


def _pooled(pending: list[_Job], settings: Settings, workers: int, context: BaseContext,
            chunk: int) -> Iterator[_Done]:
    from concurrent.futures import ProcessPoolExecutor

    rule_classes({code for job in pending for code in job.rules})  # imported once, before the fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker, initargs=(settings,)) as executor:
        yield from executor.map(_run_in_worker, enumerate(pending), chunksize=chunk)


def _active_rules(settings: Settings) -> tuple[RuleInfo, ...]:
    return select_rule_infos(settings.select, settings.extend_select, settings.ignore,
                             require_explicit=settings.policy.require_explicit)


def check_file(item: Discovered, settings: Settings, rules: Sequence[type[Rule]]) -> FileResult:
    """Read and check one discovered file (in this process, without the cache)."""
    read = _read(str(item.path), item.display)
    if isinstance(read, FileResult):
        return read
    codes = set(_rules_for_file(str(item.path), settings, rules))
    return check_source(read[0], item.display, settings, [rule for rule in rules if rule.code in codes])


def _rules_for_file(path: str, settings: Settings, rules: Sequence[RuleInfo | type[Rule]]) -> tuple[str, ...]:
    """The codes of the rules that apply to ``path`` (``per-file-ignores`` removed)."""
    if not settings.per_file_ignores:
        return tuple(rule.code for rule in rules)
    absolute = os.path.realpath(path)
    root = _realpath(str(settings.root))
    relative = os.path.relpath(absolute, root) if absolute.startswith(root + os.sep) else absolute
    relative = relative.replace(os.sep, "/")
    name = os.path.basename(path)
    ignored: list[str] = []
    for pattern, codes in settings.per_file_ignores:
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(name, pattern):
            ignored.extend(codes)
    return tuple(rule.code for rule in rules if not any(matches(code, rule) for code in ignored))


@lru_cache(maxsize=8)
def _realpath(path: str) -> str:
    return os.path.realpath(path)


def check_source(source: bytes | str, display: str, settings: Settings | None = None,
                 rules: Sequence[type[Rule]] | None = None) -> FileResult:
    """Check one file's contents. Never raises: problems become ``FileError``s."""
    settings = settings or Settings()
    if rules is None:
        rules = rule_classes(rule.code for rule in _active_rules(settings))
    data = source.encode("utf-8") if isinstance(source, str) else source
    from lunalint.suppress import audit  # LL902: suppressions that the other rules did not use
    suppressions = audit(data, rules)
    result = _check_source(data, display, settings, rules, suppressions)
    if suppressions is not None and not result.errors:
        result.violations = sorted(result.violations + suppressions.unused(display, {r.code for r in rules}))
    return result


def _check_source(data: bytes, display: str, settings: Settings, rules: Sequence[type[Rule]],
                  suppressions: Suppressions | None) -> FileResult:
    if not rules or not imports_client_module(data):
        return FileResult()
    from lunalint.candidates import TooDeeplyNested, may_construct_client, parse
    from lunalint.libraries import load

    try:
        tree = parse(data)
    except TooDeeplyNested as error:
        return FileResult(errors=[FileError(display, str(error), "E001")])
    if not may_construct_client(tree, load().entry_points):
        return FileResult()
    try:
        return _check_parsed(data, tree, display, settings, rules, suppressions)
    except _UserError as error:
        return FileResult(errors=[FileError(display, str(error), "E001")])
    except RecursionError:
        return FileResult(errors=[FileError(display, "too deeply nested to analyse", "E001")])
    except Exception as error:  # noqa: BLE001 - one file must never stop the run
        cause = f"{type(error).__name__}: {error}".splitlines()[0] if str(error) else type(error).__name__
        return FileResult(errors=[FileError(display, f"internal error ({cause}); {INTERNAL_ERROR_HINT}", "E900")])


class _UserError(Exception):
    """A problem with the file itself (syntax, encoding)."""


def _parse(data: bytes) -> cst.Module:
    import libcst as cst

    if b"\x00" in data:
        raise _UserError("contains NUL bytes; not a Python source file")
    try:
        return cst.parse_module(data)
    except cst.ParserSyntaxError as error:
        from lunalint.syntax import describe_syntax_error

        raise _UserError(describe_syntax_error(data, error)) from None
    except (UnicodeDecodeError, LookupError, SyntaxError) as error:
        raise _UserError(f"cannot decode: {str(error).splitlines()[0]}") from None


def extract_specs(module: cst.Module, scan: ModuleScan | None = None) -> list[ClientSpec]:
    """Every ClientSpec in ``module``, minus those another spec absorbs."""
    import libcst as cst

    from lunalint.libraries import load
    from lunalint.receivers import Receivers
    from lunalint.scope import scan_module
    from lunalint.values import Obj, Resolver

    registry = load()
    scan = scan or scan_module(module)
    resolver = Resolver(scan)
    receivers = Receivers(resolver)
    specs: list[ClientSpec] = []
    overrides: dict[int, list[bool]] = {}  # client call -> per followed call: passes its own timeout?
    for call, scope in scan.calls:
        func = call.func
        qualname = resolver.qualname(func, scope)
        if qualname is not None and qualname in registry.constructors:
            value = resolver.call(call, scope)
            if isinstance(value, Obj):
                specs.extend(registry.constructors[qualname][1](value))
            continue
        if isinstance(func, cst.Attribute) and func.attr.value in registry.method_names:
            found = _receiver(func, scope, receivers, registry.methods)
            if found is not None:
                value = resolver.call(call, scope, qualname=f"{found.clients[0].qualname}.{found.method}")
                assert isinstance(value, Obj)
                # A call that may be on one of several clients counts as using each one's default.
                passes = "timeout" in value.kwargs and len(found.clients) == 1
                for client in found.clients:
                    overrides.setdefault(id(client.node), []).append(passes)
                if found.client is not None:
                    specs.extend(registry.methods[found.client.qualname][1](found.client, value, found.method))
    for target, assigned, scope in scan.attribute_assignments:
        if target.attr.value in registry.attribute_names:
            owner = receivers.the_one(target.value, scope)
            if isinstance(owner, Obj) and owner.qualname in registry.assignments:
                handler = registry.assignments[owner.qualname][1]
                specs.extend(handler(owner, target.attr.value, resolver.resolve(assigned, scope), target))
    absorbed = {id(node) for spec in specs for node in spec.absorbs}
    return [_without_unused_default_timeouts(spec, overrides.get(id(spec.node)))
            for spec in specs if id(spec.node) not in absorbed]


def _without_unused_default_timeouts(spec: ClientSpec, overrides: list[bool] | None) -> ClientSpec:
    """A client whose every followed call passes its own ``timeout=`` never uses its default one.

    Its default timeouts are then not judged (each call's timeout is, as its own spec); settings
    written on the client are still judged, and so is a client with no followed call at all. A
    followed call is one whose receiver may be this client (``lunalint.receivers``); one whose
    receiver may be one of several clients counts as relying on each one's default.
    """
    if not overrides or not all(overrides):
        return spec

    def keep(setting: Setting | None) -> Setting | None:
        return None if setting is None or not setting.explicit else setting

    return replace(spec, read_timeout=keep(spec.read_timeout), total_timeout=keep(spec.total_timeout),
                   connect_timeout=keep(spec.connect_timeout),
                   other_timeouts=tuple((phase, s) for phase, s in spec.other_timeouts if s.explicit))


class _Receiver(NamedTuple):
    method: str  # dotted when the call goes through attributes of the client
    clients: tuple[Obj, ...]  # every followed client the call may be made on (at least one)
    client: Obj | None  # the one it is made on, when that is known


def _receiver(func: cst.Attribute, scope: Scope, receivers: Receivers,
              methods: Mapping[str, object]) -> _Receiver | None:
    """The client(s) a method call may be made on, and the (dotted) method name.

    ``client.get(...)`` is ``("get", (client,), client)``; ``client.chat.completions.create(...)`` has
    the method ``"chat.completions.create"`` when ``client.chat.completions`` itself is not followed.
    A receiver that may also be something else (``self.client = client``, a parameter, in another
    method) has ``client`` None: the call counts for the client's default timeouts, but is not
    judged as a call on it.
    """
    import libcst as cst

    from lunalint.receivers import one_of
    from lunalint.values import Obj

    path = [func.attr.value]
    node: cst.BaseExpression = func.value
    for _ in range(6):
        possible = receivers.possible(node, scope)
        clients = {id(value.node): value for value in possible or ()
                   if isinstance(value, Obj) and value.qualname in methods}
        if clients:
            one = one_of(possible, node)
            client = one if isinstance(one, Obj) and id(one.node) in clients else None
            return _Receiver(".".join(reversed(path)), tuple(clients.values()), client)
        if not isinstance(node, cst.Attribute):
            return None
        path.append(node.attr.value)
        node = node.value
    return None


def _check_parsed(data: bytes, tree: ast.Module | None, display: str, settings: Settings,
                  rules: Sequence[type[Rule]], suppressions: Suppressions | None = None) -> FileResult:
    from lunalint.scope import scan_module

    module = _parse(data)
    scan = scan_module(module)
    instances = [rule() for rule in rules]
    findings = [(rule, finding, spec) for spec in extract_specs(module, scan) for rule in instances
                for finding in rule.check(spec, settings.policy)]
    if not findings:
        return FileResult()
    return FileResult(violations=_place(findings, module, tree, scan, data, display, suppressions))


def _place(findings: list[tuple[Rule, Finding, ClientSpec]], module: cst.Module, tree: ast.Module | None,
           scan: ModuleScan, data: bytes, display: str, suppressions: Suppressions | None = None) -> list[Violation]:
    """Positions, suppression comments and de-duplication, for a file that has findings."""
    from lunalint.suppress import parse_suppressions

    positions = _positions(module, tree, scan, [(finding.node, spec.node) for _, finding, spec in findings])
    statement_starts = _statement_index(scan.statements, positions)
    suppressions = suppressions or parse_suppressions(data.decode(module.encoding, errors="replace"))
    found: dict[tuple[object, ...], Violation] = {}
    for rule, finding, spec in findings:
        where = positions.get(finding.node) or positions[spec.node]
        line = where.start.line
        if suppressions.suppresses(rule.code, (line, statement_starts(line))):
            continue
        violation = Violation(
            path=display, line=line, column=where.start.column + 1,
            end_line=where.end.line, end_column=where.end.column + 1,
            code=rule.code, name=rule.name, check=rule.check_family, library=spec.library,
            message=finding.message,
        )
        found.setdefault((violation.line, violation.column, violation.code, violation.message), violation)
    return sorted(found.values())


def _positions(module: cst.Module, tree: ast.Module | None, scan: ModuleScan,
               wanted: list[tuple[cst.CSTNode, cst.CSTNode]]) -> Mapping[cst.CSTNode, CodeRange]:
    """Positions of (at least) the ``wanted`` nodes: (reported node, its spec's call).

    libcst computes positions by generating code for the whole module, which costs more than
    parsing it. The ``ast`` tree already knows where each top-level statement starts, so only the
    top-level statements that hold findings are generated, each from its own first line.
    """
    from libcst.metadata import PositionProvider
    from libcst.metadata.position_provider import PositionProvidingCodegenState

    provider = PositionProvider()
    tops = {scan.call_statement.get(id(call)) for _, call in wanted}
    starts = _top_level_lines(module, tree) if None not in tops else None
    if starts is not None:
        for index in sorted(t for t in tops if t is not None):
            statement = module.body[index]
            state = PositionProvidingCodegenState(default_indent=module.default_indent,
                                                  default_newline=module.default_newline, provider=provider)
            state.line = starts[index] - len(statement.leading_lines)
            statement._codegen(state)
    computed = cast("Mapping[cst.CSTNode, CodeRange]", provider._computed)
    if starts is None or not all(node in computed and call in computed for node, call in wanted):
        provider = PositionProvider()
        provider._gen_impl(module)  # the whole module, as libcst's metadata wrapper would
        computed = cast("Mapping[cst.CSTNode, CodeRange]", provider._computed)
    return computed


def _top_level_lines(module: cst.Module, tree: ast.Module | None) -> list[int] | None:
    """The first line of each statement in ``module.body`` (decorators included), from ``tree``."""
    import libcst as cst

    if tree is None:
        return None
    lines: list[int] = []
    index = 0
    body = tree.body
    for statement in module.body:
        if index >= len(body):
            return None
        node = body[index]
        index += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        decorators = getattr(node, "decorator_list", None) or []
        lines.append(min([node.lineno, *(d.lineno for d in decorators)]))
    return lines if index == len(body) else None


def _statement_index(statements: Iterable[cst.CSTNode],
                     positions: Mapping[cst.CSTNode, CodeRange]) -> _StatementStarts:
    ranges = []
    for statement in statements:
        where = positions.get(statement)
        if where is not None:
            ranges.append((where.start.line, where.end.line))
    return _StatementStarts(sorted(ranges))


class _StatementStarts:
    """The first line of the innermost statement that contains a line."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self._ranges = ranges
        self._starts = [start for start, _ in ranges]

    def __call__(self, line: int) -> int:
        index = bisect.bisect_right(self._starts, line) - 1
        while index >= 0:
            start, end = self._ranges[index]
            if end >= line:
                return start
            index -= 1
        return line
