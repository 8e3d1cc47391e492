"""Benchmark: streaming a load into the store (Delta tables) against its baselines.

    python -m bench.store [--records 100000 1000000] [--repeat 3] [--days 3] [--busy]
                          [--baseline DIR] [--baseline-env NAME=VALUE]

Writes N synthetic Graph v1.0 records as pages of 1000 (`bench.normalize.write_pages`,
over `--days` days) for each N given, then runs each method in its own process (so its
memory is its own), in `--repeat` rounds that take every size and method in turn (a slow
spell of the machine hits them all), and reports per size the median records/s, its ratio
to the baselines and the peak memory of all the method's processes together (the process
and its workers, which sit under a forkserver: their RSS summed from /proc every 0.1 s,
which counts the library pages they share once per process, an upper bound; and their PSS,
which shares those pages out):
- normalize only: `pv.load_to_parquet` with a writer that drops every page, one process
  (the floor of this path: reading and normalizing, nothing written);
- plain: `pv.load_to_parquet` into plain Hive-partitioned Parquet, one process
  (`provlytics.parquet.DatasetWriter`, the path before the store);
- store: `pv.load_to_parquet` into a new store (`provlytics.store`), `workers=1`;
- store, default workers: the same with `workers=None` (what a user gets);
- store, 2 workers: the same with `workers=2`;
- store merge: the same input loaded again into that store, so every event is replaced
  with its children (`workers=1`; the first load is not timed; the peak covers both);
- provlytics load: the command line's `load` into a new store, in the bench's child
  process as in its own (jemalloc for Arrow, pyarrow without pandas; default workers).
`--baseline DIR` runs the store methods asked for (store, default, workers2, merge, cli) a second
time from the source tree DIR (e.g. `git worktree add --detach DIR <older commit>`), in
the same rounds, as "... (base)" rows, and reports each method's ratio to its baseline
("x base"): old code against new on the same data at the same moments.
`--baseline-env NAME=VALUE` sets that environment variable in the baseline's processes
(from DIR, or from this tree without `--baseline`): e.g. `ARROW_DEFAULT_MEMORY_POOL=jemalloc`
measures Arrow's allocator in the same rounds (for the loading process too; the workers
use jemalloc unless it is set).
`--busy` runs a CPU hog (one process spinning, pinned to the last core) during the rounds,
as another program on the machine would.
Targets: the store no slower than 0.8x plain (issue 13); >= 100k records/s into the store,
all processes' peak memory under 400 MB and flat from 100k to 1M records (issue 14); the
default workers never slower than one process (x 1 proc >= 1.00), idle or --busy (issue 14).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.normalize import _descendants, write_pages

METHODS = ("normalize", "plain", "store", "default", "workers2", "merge", "cli")
NAMES = {
    "normalize": "normalize only",
    "plain": "plain Parquet",
    "store": "store, 1 process",
    "default": "store, default",
    "workers2": "store, 2 workers",
    "merge": "store (merge all)",
    "cli": "provlytics load",
}
WORKERS = {"default": None, "workers2": 2}  # the others: 1 (cli: the default)
STORE_METHODS = ("store", "default", "workers2", "merge", "cli")  # those --baseline runs again
BASE = " (base)"
TARGETS = (
    "targets: store >= 100,000 rec/s; x 1 proc >= 1.00 for the default workers (idle and "
    "--busy); peak MB (all processes) < 400 and flat from 100k to 1M; store >= 0.8x plain"
)


class _DroppingWriter:
    """A dataset writer that drops every page: what normalizing alone costs."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write_page(self, page: Any) -> None:
        """Drop the page."""

    def write_jobs(self, batch: Any) -> None:
        """Drop the rows."""

    def abort(self) -> None:
        """Nothing to drop."""

    def commit(self, info: dict[str, Any]) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "manifest.json").write_text(json.dumps(info), encoding="utf-8")
        return self.root / "manifest.json"


def run_method(method: str, data: Path, out: Path) -> None:
    """Run one method in this process and print its seconds and peak memory as JSON."""
    memory = _Memory()
    memory.start()
    if method == "cli":  # `provlytics load` as the command line runs it in its own process
        from provlytics.cli import main as command  # (jemalloc: set by `_run_child`)

        args = ["load", str(data), "--out", str(out)]
        _print_measured(memory, lambda: command.main(args, "provlytics", standalone_mode=False))
        return
    import provlytics as pv
    from provlytics import datasets, parquet
    from provlytics.pipeline import files  # where load_to_parquet looks its writer up

    if method == "plain":  # the writer of plain datasets, as before the store
        files.dataset_writer = lambda root, **_options: parquet.DatasetWriter(root)
    if method == "normalize":
        files.dataset_writer = lambda root, **_options: _DroppingWriter(Path(root))
    if method == "merge":
        pv.load_to_parquet(data, out, progress=False, workers=1)
    assert datasets  # imported before the clock
    workers = WORKERS.get(method, 1)
    _print_measured(memory, lambda: pv.load_to_parquet(data, out, progress=False, workers=workers))


def _print_measured(memory: _Memory, run: Any) -> None:
    """Time `run()`, stop `memory`, and print the seconds and peaks as one JSON line (the
    last line of stdout: what a command prints comes before it)."""
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    memory.stop.set()
    memory.join()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_mb = max(own_peak, memory.rss_mb)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "pss_mb": memory.pss_mb}))


class _Memory(threading.Thread):
    """Samples, every 0.1 s, the summed RSS and PSS (`/proc/<pid>/smaps_rollup`) of this
    process and its descendants (workers are grandchildren, under the forkserver, which
    `getrusage` cannot see); keeps the peaks, in MB."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.rss_mb = self.pss_mb = 0.0

    def run(self) -> None:
        while not self.stop.wait(0.1):
            pids = [os.getpid(), *_descendants(os.getpid())]
            sizes = [_sizes_kb(pid) for pid in pids]
            self.rss_mb = max(self.rss_mb, sum(rss for rss, _pss in sizes) / 1024)
            self.pss_mb = max(self.pss_mb, sum(pss for _rss, pss in sizes) / 1024)


def _sizes_kb(pid: int) -> tuple[int, int]:
    """(Rss, Pss) of a process in kB, or zeros if it ended meanwhile."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = dict(line.split()[:2] for line in text.splitlines()[1:])
    return int(values.get("Rss:", 0)), int(values.get("Pss:", 0))


def _hog() -> subprocess.Popen:
    """A process spinning on the last core until killed (`--busy`)."""
    code = "import os; os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})\nwhile True: pass"
    return subprocess.Popen([sys.executable, "-c", code])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every method (median)")
    parser.add_argument("--days", type=float, default=3, help="days the records span")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--busy", action="store_true", help="a CPU hog on one core meanwhile")
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR", help="a source tree whose store methods run too"
    )
    parser.add_argument(
        "--baseline-env", metavar="NAME=VALUE", help="an environment variable of the baseline"
    )
    parser.add_argument("--run", nargs=3, metavar=("METHOD", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_method(args.run[0], Path(args.run[1]), Path(args.run[2]))
        sys.stdout.flush()
        os._exit(0)  # delta-rs may abort the interpreter at exit (134), as the CLI avoids
    with tempfile.TemporaryDirectory(prefix="provlytics-bench-store-") as tmp:
        work = Path(tmp)
        for n in args.records:
            write_pages(work / f"data-{n}", n, 1000, days=args.days)
        runs: dict[tuple[int, str], list[dict]] = {}
        plan: list[tuple[str, bool]] = [(m, False) for m in args.methods]
        if args.baseline or args.baseline_env:  # each baseline right after its method
            plan = [(m, b) for m in args.methods for b in (False, True)
                    if not b or m in STORE_METHODS]  # fmt: skip
        baseline = _Baseline(args.baseline, args.baseline_env)
        hog = _hog() if args.busy else None
        try:
            for _ in range(args.repeat):  # rounds, so that a slow spell of the machine hits all
                for n in args.records:
                    for method, base in plan:
                        run = baseline if base else _Baseline(None, None)
                        result = _run_child(method, work / f"data-{n}", work, run)
                        name = method + BASE * base
                        runs.setdefault((n, name), []).append(result)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
    print(f"busy: a CPU hog on one core during the runs ({os.cpu_count()} cores)" * args.busy)
    _report(runs, args.records, [m + BASE * b for m, b in plan])
    print(TARGETS)


class _Baseline:
    """Where a child runs: the source tree `tree` (None: this one) with the environment
    variable `env` ("NAME=VALUE", None: none) set."""

    def __init__(self, tree: Path | None, env: str | None) -> None:
        self.tree = tree.resolve() if tree is not None else None
        self.env = dict(os.environ)
        if env is not None:
            name, _, value = env.partition("=")
            self.env[name] = value


def _run_child(method: str, data: Path, work: Path, where: _Baseline) -> dict:
    """Run `python -m bench.store --run METHOD DATA OUT` in a fresh process, from `where`;
    its last stdout line is the JSON result."""
    out = work / f"out-{method}"
    shutil.rmtree(out, ignore_errors=True)
    env = where.env
    if method == "cli":  # as `provlytics` sets it before pyarrow is imported, unless set
        env = {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc", **env}
    result = subprocess.run(
        [sys.executable, "-m", "bench.store", "--run", method, str(data), str(out)],
        check=True, capture_output=True, text=True, cwd=where.tree, env=env,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def _report(runs: dict[tuple[int, str], list[dict]], sizes: list[int], methods: list[str]) -> None:
    """One row per size and method: records/s, its ratios to the baselines (a baseline row's
    "x 1 proc" is to the baseline's own one-process store; "x base": the method's baseline
    over it, above 1 when the new code is faster) and the peak memory."""
    bases = (("normalize", "x norm"), ("store", "x 1 proc"), ("plain", "x plain"), ("", "x base"))
    header = "".join(f"{title:>10}" for _base, title in bases)
    print(f"{'method':<27}{'records':>9}{'rec/s':>10}{header}{'peak MB':>9}{'PSS MB':>9}")
    for n in sizes:
        seconds = {m: statistics.median(r["seconds"] for r in runs[n, m]) for m in methods}
        for method in methods:
            peak = max(r["peak_mb"] for r in runs[n, method])
            pss = max(r["pss_mb"] for r in runs[n, method])
            ratios = "".join(
                f"{seconds[b] / seconds[method]:>10.2f}" if b in seconds else " " * 10
                for b in _bases_of(method)
            )
            name = NAMES[method.removesuffix(BASE)] + BASE * method.endswith(BASE)
            rate = n / seconds[method]
            print(f"{name:<27}{n:>9}{rate:>10.0f}{ratios}{peak:>9.0f}{pss:>9.0f}")


def _bases_of(method: str) -> tuple[str, str, str, str]:
    """The methods a row is compared with: normalize, store, plain and its baseline ("":
    none)."""
    if method.endswith(BASE):
        return "normalize", "store" + BASE, "plain", ""
    return "normalize", "store", "plain", method + BASE


if __name__ == "__main__":
    main()
