"""Where lunalint's time goes, stage by stage, in CPU seconds (time.process_time), on one core.

    python bench/profile_phases.py [PATH]   # default: the benchmark corpus

It runs the pipeline's public stage functions one after the other on every file (discover,
prefilter, parse, extract, judge, place, render), as the engine does, and times each stage without
a profiler's overhead. The numbers are for finding the next thing to make faster; the benchmark
(bench/run.py) is the judge.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else HERE / ".work" / "full" / "corpus"
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)

    def timed(stage: str, function, *args):  # type: ignore[no-untyped-def]
        start = time.process_time()
        try:
            return function(*args)
        finally:
            seconds[stage] += time.process_time() - start

    from lunalint.config import Settings
    from lunalint.discover import discover
    from lunalint.report import Report

    settings = Settings()
    items = [item for item in timed("discover", lambda: list(discover([target], settings.exclude, settings.root)))
             if hasattr(item, "path")]
    counts["files"] = len(items)

    import libcst  # noqa: F401  (imported once, outside the stages)

    from lunalint.extract import extract
    from lunalint.formats import render
    from lunalint.frontend import SourceError
    from lunalint.judge import judge
    from lunalint.parse import parse
    from lunalint.place import CstSourceMap, place
    from lunalint.prefilter import prefilter
    from lunalint.rules import all_rules
    from lunalint.suppress import parse_suppressions

    rules = [rule for rule in all_rules() if not rule.explicit_only]
    report = Report(files_checked=len(items))
    for item in items:
        data = timed("read", Path(item.path).read_bytes)
        try:
            candidate = timed("prefilter (text, ast)", prefilter, data)
            if candidate is None:
                continue
            counts["candidates"] += 1
            parsed = timed("parse (libcst, statements that matter)", parse, candidate)
        except SourceError:
            counts["source errors"] += 1
            continue
        specs, scan = timed("extract (scope scan, values, libraries)", extract, parsed)
        counts["specs"] += len(specs)
        judged = timed("judge (rules)", judge, specs, rules, settings.policy)
        if judged:
            source = CstSourceMap(parsed.module, parsed.starts, scan.statements, scan.call_statement,
                                  parse_suppressions(parsed.text))
            report.violations.extend(timed("place (positions, suppressions)", place, judged, source, item.display))
    report.sort()
    text = timed("report (render text)", lambda: render(report, "text"))
    counts["findings"] = len(report.violations)
    counts["output bytes"] = len(text)

    total = sum(seconds.values())
    print(f"target: {target}")
    print(", ".join(f"{name}: {value:,}" for name, value in counts.items()))
    print(f"{'stage':45} {'seconds':>8} {'share':>6}")
    for name, value in seconds.items():
        print(f"{name:45} {value:8.3f} {100 * value / total:5.1f}%")
    print(f"{'total':45} {total:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
