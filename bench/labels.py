"""Scoring against hand labels, shared by ``python_corpus.py`` and ``rust_corpus.py``.

A label says which check families a correct report has at a client site; ``score`` compares them
with the families lunalint reported there and prints each false positive and false negative;
``print_table`` prints precision and recall per family as a Markdown table.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping

FAMILIES = {"1": "pool idle", "2": "keepalive", "3": "timeout", "4": "connect"}

Site = tuple[str, int]  # (file, line)


def expected_families(text: str) -> set[str]:
    """``-`` (no family) or ``1,3`` (rule-code digits) as family names."""
    return set() if text == "-" else {FAMILIES[code] for code in text.split(",")}


def score(labels: Mapping[Site, set[str]], got: Mapping[Site, set[str]],
          quiet: bool = False) -> dict[str, collections.Counter[str]]:
    """Per family: true/false positives and negatives over the labelled sites (FP and FN printed unless quiet)."""
    counts = {family: collections.Counter[str]() for family in FAMILIES.values()}
    for key, expected in sorted(labels.items()):
        reported = got.get(key, set())
        for family in FAMILIES.values():
            outcome = ("tp" if family in expected else "fp") if family in reported else (
                "fn" if family in expected else "tn")
            counts[family][outcome] += 1
            if outcome in ("fp", "fn") and not quiet:
                print(f"{outcome.upper()} {family}: {key[0]}:{key[1]}")
    return counts


def print_table(counts: Mapping[str, collections.Counter[str]]) -> None:
    print("| family | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|")
    for family, count in counts.items():
        tp, fp, fn = count["tp"], count["fp"], count["fn"]
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "—"
        recall = f"{tp / (tp + fn):.2f}" if tp + fn else "—"
        print(f"| {family} | {tp} | {fp} | {fn} | {precision} | {recall} |")
