"""Findings do not depend on --jobs or on the cache; the cache follows content and configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from lunalint.config import Policy, Settings
from lunalint.engine import check_paths
from lunalint.workers import PARALLEL_THRESHOLD
from lunalint.report import Report

SNIPPETS = [
    "import httpx\nclient = httpx.Client(timeout={t})\n",
    "import httpx2 as h\nc = h.AsyncClient(limits=h.Limits(keepalive_expiry={t}))\n",
    "import httpx\nhttpx.get('https://example.com', timeout=httpx.Timeout({t}, connect=None))\n",
    "import os\nprint('no client here')\n",
    "import httpx\ndef f(:\n",  # syntax error
]


def make_tree(root: Path, count: int = 3 * PARALLEL_THRESHOLD) -> None:
    for index in range(count):
        package = root / f"pkg{index % 4}"
        package.mkdir(parents=True, exist_ok=True)
        snippet = SNIPPETS[index % len(SNIPPETS)]
        (package / f"mod{index}.py").write_text(snippet.format(t=10 * (index + 1)), encoding="utf-8")


def backdate(tree: Path) -> None:
    """Give every file an old modification time, so that the cache may answer it by stat alone."""
    old = time.time() - 60
    for path in tree.rglob("*.py"):
        os.utime(path, (old, old))


def summary(report: Report) -> list[tuple[object, ...]]:
    return ([(v.path, v.line, v.column, v.end_line, v.end_column, v.code, v.message) for v in report.violations]
            + [(e.path, e.code, e.message) for e in report.errors])


def cached_entries(cache_file: Path) -> dict[str, object]:
    """The cache's entries by absolute path (on disk they are grouped by directory)."""
    dirs = json.loads(cache_file.read_text(encoding="utf-8"))["dirs"]
    return {os.path.join(directory, name): entry for directory, (_, files) in dirs.items()
            for name, entry in files.items()}


def test_jobs_and_cache_do_not_change_findings(tmp_path: Path) -> None:
    make_tree(tmp_path / "src")
    backdate(tmp_path / "src")
    settings = Settings(root=tmp_path)
    serial = check_paths([tmp_path / "src"], settings, jobs=1)
    assert serial.violations and serial.errors
    parallel = check_paths([tmp_path / "src"], settings, jobs=2)
    reports = [serial, parallel]
    for jobs in (1, 2):
        cache = tmp_path / f"cache{jobs}"
        reports.append(check_paths([tmp_path / "src"], settings, jobs=jobs, cache_dir=cache))  # cold
        reports.append(check_paths([tmp_path / "src"], settings, jobs=jobs, cache_dir=cache))  # answered by stat
        for path in (tmp_path / "src").rglob("*.py"):
            os.utime(path)  # new times, same content: answered by content hash
        reports.append(check_paths([tmp_path / "src"], settings, jobs=jobs, cache_dir=cache))
        backdate(tmp_path / "src")
    assert all(summary(report) == summary(serial) for report in reports)
    assert all(report.files_checked == serial.files_checked for report in reports)


def test_cache_follows_content_changes(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=5)
    settings = Settings(root=tmp_path)
    cache = tmp_path / "cache"
    first = check_paths([tmp_path / "src"], settings, cache_dir=cache)
    target = next(p for p in (tmp_path / "src").rglob("mod0.py"))
    target.write_text("import httpx\nclient = httpx.Client(timeout=httpx.Timeout(600, connect=5), "
                      "limits=None)\n", encoding="utf-8")
    second = check_paths([tmp_path / "src"], settings, cache_dir=cache)
    fresh = check_paths([tmp_path / "src"], settings)
    assert summary(second) == summary(fresh) != summary(first)


def test_cache_follows_configuration(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=5)
    cache = tmp_path / "cache"
    loose = Settings(root=tmp_path, policy=Policy(streaming_min_timeout=5))
    strict = Settings(root=tmp_path)
    check_paths([tmp_path / "src"], loose, cache_dir=cache)
    assert summary(check_paths([tmp_path / "src"], strict, cache_dir=cache)) == summary(
        check_paths([tmp_path / "src"], strict))
    ignored = replace(strict, ignore=("LL3",))
    assert summary(check_paths([tmp_path / "src"], ignored, cache_dir=cache)) == summary(
        check_paths([tmp_path / "src"], ignored))


def test_corrupt_cache_is_ignored_and_rewritten(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=5)
    cache = tmp_path / "cache"
    settings = Settings(root=tmp_path)
    expected = summary(check_paths([tmp_path / "src"], settings, cache_dir=cache))
    [cache_file] = [p for p in cache.glob("*.json")]
    cache_file.write_text("{not json", encoding="utf-8")
    assert summary(check_paths([tmp_path / "src"], settings, cache_dir=cache)) == expected
    assert cached_entries(cache_file)
    assert (cache / "CACHEDIR.TAG").is_file() and (cache / ".gitignore").read_text().strip().endswith("*")


def test_concurrent_runs_share_a_cache_safely(tmp_path: Path) -> None:
    make_tree(tmp_path / "src")
    script = (
        "import sys\nfrom pathlib import Path\nfrom lunalint.config import Settings\n"
        "from lunalint.engine import check_paths\n"
        "r = check_paths([Path(sys.argv[1])], Settings(root=Path(sys.argv[1]).parent), jobs=1,"
        " cache_dir=Path(sys.argv[2]))\nprint(len(r.violations), len(r.errors))\n"
    )
    args = [sys.executable, "-c", script, str(tmp_path / "src"), str(tmp_path / "cache")]
    processes = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = {p.communicate(timeout=120)[0] for p in processes}
    assert all(p.returncode == 0 for p in processes)
    assert len(outputs) == 1
    leftovers = [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []
    again = check_paths([tmp_path / "src"], Settings(root=tmp_path), cache_dir=tmp_path / "cache")
    assert f"{len(again.violations)} {len(again.errors)}\n" in outputs


def test_unwritable_cache_location_still_gives_results(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=5)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    report = check_paths([tmp_path / "src"], Settings(root=tmp_path), cache_dir=blocker)
    assert summary(report) == summary(check_paths([tmp_path / "src"], Settings(root=tmp_path)))
    assert blocker.read_text(encoding="utf-8").startswith("a file")


def test_same_size_rewrite_within_the_timestamp_granularity_is_seen(tmp_path: Path) -> None:
    target = tmp_path / "src" / "client.py"
    target.parent.mkdir()
    cache = tmp_path / "cache"
    settings = Settings(root=tmp_path)
    stamp = None
    for timeout in ("None", "3000", "None"):  # same size each time, rewritten within one timestamp tick
        target.write_text(f"import httpx\nhttpx.Client(timeout={timeout:>4})\n", encoding="utf-8")
        if stamp is None:
            stamp = target.stat().st_mtime_ns
        os.utime(target, ns=(stamp, stamp))  # what a coarse file system clock does
        cached = check_paths([target.parent], settings, cache_dir=cache)
        assert summary(cached) == summary(check_paths([target.parent], settings))


def test_per_file_ignores_apply_to_a_file_copied_elsewhere(tmp_path: Path) -> None:
    source = "import httpx\nhttpx.Client(timeout=None)\n"
    (tmp_path / "tests").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "tests" / "x.py").write_text(source, encoding="utf-8")
    settings = Settings(root=tmp_path, per_file_ignores=(("tests/*", ("LL3",)),))
    cache = tmp_path / "cache"
    check_paths([tmp_path / "tests"], settings, cache_dir=cache)
    (tmp_path / "app" / "x.py").write_text(source, encoding="utf-8")  # same content, another path
    report = check_paths([tmp_path / "app"], settings, cache_dir=cache)
    assert "LL301" in [v.code for v in report.violations]


def test_damaged_cache_entries_are_rechecked_not_trusted(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=10)
    cache = tmp_path / "cache"
    settings = Settings(root=tmp_path)
    expected = summary(check_paths([tmp_path / "src"], settings))
    check_paths([tmp_path / "src"], settings, cache_dir=cache)
    [cache_file] = list(cache.glob("*.json"))
    data = json.loads(cache_file.read_text(encoding="utf-8"))
    damaged = ["", "1 2 3", 17, None, ["-", 5, [], []], ["a:b", "d", [{"bogus": 1}], []],
               ["0:0", "d", [], [{"message": "m"}]], "x y z w"]
    assert len(data["dirs"]) == 4
    for index, (directory, (_, files)) in enumerate(sorted(data["dirs"].items())):
        for (name, entry), bad in zip(sorted(files.items()), damaged):
            if isinstance(entry, list):  # keep the stat key, so the damaged findings would be used
                files[name] = [entry[0], entry[1], [{"bogus": 1}], []]
            else:
                files[name] = bad
        if index == 3:
            data["dirs"][directory] = "not a directory table"
    cache_file.write_text(json.dumps(data), encoding="utf-8")
    assert summary(check_paths([tmp_path / "src"], settings, cache_dir=cache)) == expected
    assert summary(check_paths([tmp_path / "src"], settings, cache_dir=cache)) == expected


def test_caches_of_configurations_unused_for_a_month_are_pruned(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=3)
    cache = tmp_path / "cache"
    check_paths([tmp_path / "src"], Settings(root=tmp_path, policy=Policy(streaming_min_timeout=5)), cache_dir=cache)
    [old] = list(cache.glob("*.json"))
    month_ago = old.stat().st_mtime - 31 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    check_paths([tmp_path / "src"], Settings(root=tmp_path), cache_dir=cache)
    assert not old.exists()
    [current] = list(cache.glob("*.json"))
    os.utime(current, (month_ago, month_ago))
    check_paths([tmp_path / "src"], Settings(root=tmp_path), cache_dir=cache)  # a run that only reads it
    assert current.stat().st_mtime > month_ago + 30 * 24 * 3600  # touched: in use, so never pruned


def test_a_file_cached_within_a_second_of_its_change_is_read_again(tmp_path: Path) -> None:
    """The racy-stat rule: the content decides until the file's time is safely in the past."""
    target = tmp_path / "src" / "client.py"
    target.parent.mkdir()
    target.write_text("import httpx\nhttpx.Client(timeout=None)\n", encoding="utf-8")
    cache = tmp_path / "cache"
    settings = Settings(root=tmp_path)
    check_paths([target.parent], settings, cache_dir=cache)
    [cache_file] = list(cache.glob("*.json"))
    [entry] = cached_entries(cache_file).values()
    assert isinstance(entry, list) and entry[0] == "-"  # just written: its stat cannot stand for its content yet
    old = time.time() - 5
    os.utime(target, (old, old))
    check_paths([target.parent], settings, cache_dir=cache)
    [entry] = cached_entries(cache_file).values()
    stat = target.stat()
    assert isinstance(entry, list) and entry[0] == f"{stat.st_mtime_ns}:{stat.st_size}"


def test_overlapping_paths_check_each_file_once_with_or_without_the_cache(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=12)
    settings = Settings(root=tmp_path)
    src = tmp_path / "src"
    clean = next(src.rglob("mod3.py"))  # no findings: the cache answers it during the walk
    assert clean.parent.name == "pkg3"
    backdate(src)
    orders = [[src], [src, src / "pkg3", clean], [clean, src / "pkg3", src], [src / "pkg3", src, src / "pkg3"]]
    expected = check_paths([src], settings)
    assert expected.files_checked == 12
    cache = tmp_path / "cache"
    for paths in orders * 2:  # the second round is answered by the cache
        for report in (check_paths(paths, settings), check_paths(paths, settings, cache_dir=cache)):
            assert summary(report) == summary(expected), paths
            assert report.files_checked == 12, paths


def test_files_gone_from_a_walked_directory_leave_the_cache(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", count=9)
    cache = tmp_path / "cache"
    settings = Settings(root=tmp_path)
    backdate(tmp_path / "src")
    check_paths([tmp_path / "src"], settings, cache_dir=cache)
    [cache_file] = list(cache.glob("*.json"))
    gone = next((tmp_path / "src").rglob("mod3.py"))
    other = next((tmp_path / "src").rglob("mod0.py"))
    gone.unlink()
    check_paths([other], settings, cache_dir=cache)  # a file named alone: its directory is not listed
    assert str(gone) in cached_entries(cache_file)
    check_paths([tmp_path / "src" / gone.parent.name], settings, cache_dir=cache)
    entries = cached_entries(cache_file)
    assert str(gone) not in entries and len(entries) == 8
    clean = next((tmp_path / "src").rglob("mod8.py"))  # a file without findings, named and walked
    (clean.parent / "new.py").write_text("import os\n", encoding="utf-8")  # something to save
    check_paths([clean, clean.parent], settings, cache_dir=cache)
    assert str(clean) in cached_entries(cache_file) and len(cached_entries(cache_file)) == 9


def test_a_file_with_unchanged_time_and_size_is_answered_without_being_read(tmp_path: Path) -> None:
    """The point of the stat key (and its limit, as in git and Ruff): same time and size, not read."""
    target = tmp_path / "src" / "client.py"
    target.parent.mkdir()
    target.write_text("import httpx\nhttpx.Client(timeout=None)\n", encoding="utf-8")
    backdate(target.parent)
    cache = tmp_path / "cache"
    settings = Settings(root=tmp_path)
    first = check_paths([target.parent], settings, cache_dir=cache)
    assert first.violations
    stat = target.stat()
    target.write_text("import os\nprint(os.name, 1234567890123)\n", encoding="utf-8")  # same size
    assert target.stat().st_size == stat.st_size
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert summary(check_paths([target.parent], settings, cache_dir=cache)) == summary(first)  # not read
    os.utime(target)  # any new time: read, hashed, checked again
    assert check_paths([target.parent], settings, cache_dir=cache).violations == []


def _project(root: Path, timeout: str, fillers: int = 0) -> Path:
    """A package whose client module takes its timeout from the package's config module."""
    package = root / "pkg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "config.py").write_text(f"REQUEST_TIMEOUT = {timeout}\n", encoding="utf-8")
    (package / "client.py").write_text(
        "import httpx\nfrom .config import REQUEST_TIMEOUT\n"
        "client = httpx.Client(base_url='https://api.openai.com/v1',\n"  # a model endpoint: streams are judged
        "                      timeout=httpx.Timeout(REQUEST_TIMEOUT, connect=5))\n", encoding="utf-8")
    for index in range(fillers):
        (package / f"filler{index}.py").write_text("import os\nprint('no client here')\n", encoding="utf-8")
    return package


def _client_codes(report: Report) -> list[str]:
    return [v.code for v in report.violations if v.path.endswith("client.py") and v.code.startswith("LL3")]


def test_a_change_in_an_imported_module_invalidates_the_result_of_its_importer(tmp_path: Path) -> None:
    """client.py reads REQUEST_TIMEOUT from config.py: changing only config.py changes client.py's
    findings, on one process and with workers (enough files for the pool)."""
    for jobs, fillers in ((1, 0), (2, 2 * PARALLEL_THRESHOLD)):
        root = tmp_path / f"jobs{jobs}"
        package = _project(root, "600", fillers)
        backdate(root)
        settings = Settings(root=root)
        cache = root / ".cache"
        assert _client_codes(check_paths([root], settings, jobs=jobs, cache_dir=cache)) == []
        assert _client_codes(check_paths([root], settings, jobs=jobs, cache_dir=cache)) == []  # by stat
        (package / "config.py").write_text("REQUEST_TIMEOUT = 30\n", encoding="utf-8")
        backdate(root)
        changed = check_paths([root], settings, jobs=jobs, cache_dir=cache)
        assert _client_codes(changed) == ["LL302"]
        assert summary(changed) == summary(check_paths([root], settings, jobs=jobs))
        [cache_file] = list(cache.glob("*.json"))
        entry = cached_entries(cache_file)[str((package / "client.py").resolve())]
        assert isinstance(entry, list) and entry[4][0][0] == str((package / "config.py").resolve())


def test_an_imported_module_rewritten_within_the_timestamp_granularity_is_seen(tmp_path: Path) -> None:
    """The racy-stat rule holds for the modules a result depends on: the same size, the same time,
    other content is still seen."""
    package = _project(tmp_path, "600")
    settings = Settings(root=tmp_path)
    cache = tmp_path / ".cache"
    config = package / "config.py"
    old = time.time() - 60
    os.utime(package / "client.py", (old, old))
    assert _client_codes(check_paths([tmp_path], settings, cache_dir=cache)) == []  # config.py just written
    stat = config.stat()
    config.write_text("REQUEST_TIMEOUT = 060\n".replace("060", " 30"), encoding="utf-8")  # same size
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert config.stat().st_size == stat.st_size
    assert _client_codes(check_paths([tmp_path], settings, cache_dir=cache)) == ["LL302"]


def test_a_run_answered_by_the_cache_reads_no_imported_module(tmp_path: Path) -> None:
    """Unchanged files with dependencies are answered from their stats: libcst is never imported."""
    _project(tmp_path, "30")
    backdate(tmp_path)
    cache = tmp_path / ".cache"
    check_paths([tmp_path], Settings(root=tmp_path), cache_dir=cache)
    script = ("import sys\nfrom pathlib import Path\nfrom lunalint.config import Settings\n"
              "from lunalint.engine import check_paths\n"
              f"r = check_paths([Path({str(tmp_path)!r})], Settings(root=Path({str(tmp_path)!r})), "
              f"cache_dir=Path({str(cache)!r}))\n"
              "print([v.code for v in r.violations], 'libcst' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['LL201', 'LL302'] False"
