"""The engine: the pipeline from paths to a report, stage by stage. It knows no rule, library or
language.

    discover -> (cache) -> prefilter -> parse -> extract -> judge -> place -> report

``discover`` walks the paths; a file the cache knows unchanged is answered without being read.
Every other file is a job for the worker pool (``workers``), which reads it and calls
``check_source``: the file's frontend (``frontend``: Python's is prefilter, parse and extract)
turns its bytes into ClientSpecs and a source map, ``judge`` runs the rules on the specs, and
``place`` positions the findings, applies suppression comments and removes duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lunalint.config import Settings
from lunalint.discover import PathError, discover
from lunalint.report import FileError, FileResult, Report
from lunalint.rules import RuleInfo, rule_classes, rules_for_file, select_rule_infos
from lunalint.workers import Runner, Store

if TYPE_CHECKING:
    from lunalint.fix import Fixer

__all__ = ["FileResult", "active_rules", "analyse_source", "check_paths", "check_source"]

UNUSED_SUPPRESSION = "LL902"  # judged on the comments, not on ClientSpecs
INTERNAL_ERROR_HINT = "this is a bug in lunalint; please report it with the file that triggers it"


def check_paths(paths: Sequence[Path], settings: Settings, *, jobs: int | None = None,
                cache_dir: Path | None = None) -> Report:
    """Discover, check and collect every file under ``paths`` (``jobs`` worker processes, default
    one per core; results cached under ``cache_dir`` when given)."""
    rules = active_rules(settings)
    store = Store.open(cache_dir, repr((settings.policy, settings.per_file_ignores, str(settings.root),
                                        [rule.code for rule in rules])))
    report = Report()
    results: dict[int, FileResult] = {}  # only files with something to report: most have nothing

    def keep(index: int, result: FileResult) -> None:
        if result.violations or result.errors:
            results[index] = result

    found = discover(paths, settings.exclude + settings.extend_exclude, settings.root,
                     stat=store.stat_walk, known_in=store.known_in,
                     respect_gitignore=settings.respect_gitignore, force_exclude=settings.force_exclude)
    with Runner(settings, jobs, _check_codes) as runner:
        for index, item in enumerate(found):
            if isinstance(item, PathError):
                keep(index, FileResult(errors=[FileError(item.display, item.message, code="E002")]))
                continue
            report.files_checked += 1
            answered = store.answer(item)
            if answered is not None:
                keep(index, answered)
            else:
                runner.add(store.job(index, item, rules_for_file(store.key(item), settings.per_file_ignores,
                                                                 settings.root, rules)))
                for job, done in runner.finished():  # settled as they come: the main process stays small
                    keep(job.file_index, store.settle(job, done, settings, _check_codes))
        for job, done in runner.results():
            keep(job.file_index, store.settle(job, done, settings, _check_codes))
    report.files_checked += store.answered_in_walk  # unchanged, without findings: never left the walk
    for _, result in sorted(results.items()):
        report.violations.extend(result.violations)
        report.errors.extend(result.errors)
    store.save()
    report.sort()
    return report


def check_source(source: bytes | str, display: str, settings: Settings | None = None,
                 rules: Sequence[str] | None = None) -> FileResult:
    """Check one file's contents (``display`` names it and picks its frontend by suffix); ``rules``
    are codes (default: the settings' selection). Never raises: problems become ``FileError``s."""
    settings = settings or Settings()
    codes = tuple(rule.code for rule in active_rules(settings)) if rules is None else tuple(rules)
    data = source.encode("utf-8") if isinstance(source, str) else source
    return _check_codes(data, display, settings, codes)


def _check_codes(data: bytes, display: str, settings: Settings, codes: tuple[str, ...]) -> FileResult:
    return analyse_source(data, display, settings, codes)[0]


def analyse_source(data: bytes, display: str, settings: Settings, codes: tuple[str, ...]
                   ) -> tuple[FileResult, Fixer | None, list[int | None]]:
    """One file checked: its result (each finding with its fix, if its frontend plans fixes), the
    frontend's ``Fixer`` for it, and for each violation the index of its judged finding (None for
    findings on comments) that ``Fixer.apply`` takes."""
    if not codes:
        return FileResult(), None, []
    from lunalint.frontend import SourceError, frontend_for

    frontend = frontend_for(display)
    try:
        analysis = frontend.analyse(data, display)
        violations = []
        kept: list[int | None] = []
        fixer = analysis.fixer if analysis is not None else None
        if analysis is not None and analysis.specs:
            from lunalint.judge import judge
            from lunalint.place import place

            judged = judge(analysis.specs, rule_classes(codes), settings.policy)
            fixes = fixer.fixes(judged, settings.policy) if fixer is not None and judged else None
            indexes: list[int] = []
            violations = place(judged, analysis.source, display, fixes=fixes, kept=indexes)
            kept = list(indexes)
        if UNUSED_SUPPRESSION in codes:  # after placement, which records the comments it used
            suppressions = analysis.source.suppressions if analysis is not None else frontend.suppressions(data)
            unused = suppressions.unused(display, set(codes))
            if unused:
                pairs = sorted([*zip(violations, kept), *((v, None) for v in unused)],
                               key=lambda pair: pair[0].sort_key())
                violations, kept = [v for v, _ in pairs], [i for _, i in pairs]
        return FileResult(violations=violations, cacheable=analysis is None or analysis.cacheable), fixer, kept
    except SourceError as error:
        return FileResult(errors=[FileError(display, str(error), "E001")]), None, []
    except RecursionError:
        return FileResult(errors=[FileError(display, "too deeply nested to analyse", "E001")]), None, []
    except Exception as error:  # noqa: BLE001 - one file must never stop the run
        cause = f"{type(error).__name__}: {error}".splitlines()[0] if str(error) else type(error).__name__
        message = f"internal error ({cause}); {INTERNAL_ERROR_HINT}"
        return FileResult(errors=[FileError(display, message, "E900")]), None, []


def active_rules(settings: Settings) -> tuple[RuleInfo, ...]:
    return select_rule_infos(settings.select, settings.extend_select, settings.ignore,
                             require_explicit=settings.policy.require_explicit)
