"""Where lunalint's time goes, phase by phase, in CPU seconds (time.process_time), on one core, without a profiler's overhead.

    /work/venv/bin/python bench/profile_phases.py [PATH]   # default: the benchmark corpus

It re-runs lunalint's pipeline step by step with the package's own functions (discover, prefilter,
parse, scope scan, value resolution, PositionProvider, rules, output) and times each step. It uses
lunalint internals, so it may need a touch when they change; the numbers are for finding the next
thing to make faster, the benchmark (bench/run.py) is the judge.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else HERE / ".work" / "full" / "corpus"
    t = defaultdict(float)
    counts = defaultdict(int)

    start = time.process_time()
    from lunalint.config import Settings
    from lunalint.discover import discover, imports_client_module
    from lunalint.report import Report, Violation
    t["import lunalint (no libcst)"] = time.process_time() - start

    start = time.process_time()
    import libcst  # noqa: F401
    from libcst.metadata import MetadataWrapper, PositionProvider

    from lunalint import engine
    from lunalint.formats import render
    from lunalint.scope import scan_module
    from lunalint.suppress import parse_suppressions
    t["import libcst + engine"] = time.process_time() - start

    settings = Settings()
    from lunalint.rules import rule_classes

    rules = rule_classes(info.code for info in engine._active_rules(settings))  # noqa: SLF001
    instances = [rule() for rule in rules]
    try:  # the ast second-stage filter, where this lunalint has one
        from lunalint.candidates import may_construct_client
        from lunalint.libraries import load

        entry_points = load().entry_points
    except ImportError:
        may_construct_client = None
    place = getattr(engine, "_place", None)

    start = time.process_time()
    items = [item for item in discover([target], settings.exclude, settings.root) if hasattr(item, "path")]
    t["discover (walk, excludes)"] = time.process_time() - start
    counts["files"] = len(items)

    report = Report()
    for item in items:
        start = time.process_time()
        data = Path(item.path).read_bytes()
        t["read"] += time.process_time() - start
        counts["bytes"] += len(data)
        start = time.process_time()
        hit = imports_client_module(data)
        t["prefilter (regex)"] += time.process_time() - start
        if not hit:
            continue
        counts["passed prefilter"] += 1
        tree = None
        if may_construct_client is not None:
            start = time.process_time()
            try:
                try:  # newer: may_construct_client(candidates.parse(data), ...)
                    from lunalint.candidates import parse as ast_parse
                    tree = ast_parse(data)
                    hit = may_construct_client(tree, entry_points)
                except ImportError:  # older: may_construct_client(data, ...)
                    hit = may_construct_client(data, entry_points)
            except Exception as error:  # noqa: BLE001
                counts[f"ast filter errors ({type(error).__name__})"] += 1
                hit = False
            t["candidates (ast parse + walk)"] += time.process_time() - start
            if not hit:
                continue
            counts["passed ast filter"] += 1
            counts["bytes parsed by libcst"] += len(data)
        start = time.process_time()
        try:
            module = engine._parse(data)  # noqa: SLF001
        except Exception:  # noqa: BLE001
            counts["parse errors"] += 1
            continue
        t["libcst parse"] += time.process_time() - start
        start = time.process_time()
        scan = scan_module(module)
        t["scope scan (scope.py)"] += time.process_time() - start
        start = time.process_time()
        specs = engine.extract_specs(module, scan)
        t["value resolution + library handlers (extract_specs)"] += time.process_time() - start
        if not specs:
            continue
        counts["files with client specs"] += 1
        counts["specs"] += len(specs)
        start = time.process_time()
        findings = [(rule, finding, spec) for spec in specs for rule in instances
                    for finding in rule.check(spec, settings.policy)]
        t["rules"] += time.process_time() - start
        if not findings:
            continue
        start = time.process_time()
        if place is not None:
            import inspect

            params = inspect.signature(place).parameters
            extra = {name: value for name, value in (("data", data), ("tree", tree)) if name in params}
            report.violations.extend(place(findings, module, scan=scan, display=item.display, **extra))
        else:
            positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            starts = engine._statement_index(scan.statements, positions)  # noqa: SLF001
            suppressions = parse_suppressions(module.code)
            for rule, finding, spec in findings:
                where = positions.get(finding.node) or positions[spec.node]
                line = where.start.line
                if suppressions.suppresses(rule.code, (line, starts(line))):
                    continue
                report.violations.append(Violation(
                    path=item.display, line=line, column=where.start.column + 1, end_line=where.end.line,
                    end_column=where.end.column + 1, code=rule.code, name=rule.name,
                    check=rule.check_family, library=spec.library, message=finding.message))
        t["PositionProvider + suppressions (files with findings)"] += time.process_time() - start
    report.files_checked = len(items)
    counts["findings"] = len(report.violations)
    start = time.process_time()
    report.sort()
    text = render(report, "text", color=False, statistics=False)
    sys.stdout.flush()
    t["output (sort + render text)"] = time.process_time() - start
    counts["output bytes"] = len(text)

    total = sum(t.values())
    print(f"target: {target}")
    print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))
    print(f"{'phase':55} {'seconds':>8} {'share':>6}")
    for name, seconds in t.items():
        print(f"{name:55} {seconds:8.3f} {100 * seconds / total:5.1f}%")
    print(f"{'total':55} {total:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
