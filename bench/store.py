"""Benchmark: streaming a load into the store (Delta tables) against its baselines.

    python -m bench.store [--records 100000 1000000] [--repeat 3] [--days 3]

Writes N synthetic Graph v1.0 records as pages of 1000 (`bench.normalize.write_pages`,
over `--days` days) for each N given, then runs each method in its own process (so peak RSS
is that method's alone; `workers=1`, so that process is all there is), in `--repeat` rounds
that take every size and method in turn (a slow spell of the machine hits them all), and
reports per size the median records/s, its ratio to the baselines and the highest peak RSS:
- normalize only: `pv.load_to_parquet` with a writer that drops every page (the floor of
  this path: reading and normalizing, nothing written);
- plain: `pv.load_to_parquet` into plain Hive-partitioned Parquet
  (`provlytics.parquet.DatasetWriter`, the path before the store);
- store: `pv.load_to_parquet` into a new store (`provlytics.store`);
- store merge: the same input loaded again into that store, so every event is replaced
  with its children (the first load is not timed; peak RSS covers both).
Targets: the store no slower than 0.8x plain (issue 13); peak RSS under 400 MB and flat
from 100k to 1M records (issue 14).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.normalize import run_child, write_pages

METHODS = ("normalize", "plain", "store", "merge")
NAMES = {
    "normalize": "normalize only",
    "plain": "plain Parquet",
    "store": "store (new)",
    "merge": "store (merge all)",
}


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
    import provlytics as pv
    from provlytics import datasets, loader, parquet

    if method == "plain":  # the writer of plain datasets, as before the store
        loader.dataset_writer = lambda root, **_options: parquet.DatasetWriter(root)
    if method == "normalize":
        loader.dataset_writer = lambda root, **_options: _DroppingWriter(Path(root))
    if method == "merge":
        pv.load_to_parquet(data, out, progress=False, workers=1)
    assert datasets  # imported before the clock
    start = time.perf_counter()
    pv.load_to_parquet(data, out, progress=False, workers=1)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every method (median)")
    parser.add_argument("--days", type=float, default=3, help="days the records span")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
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
        for _ in range(args.repeat):  # rounds, so that a slow spell of the machine hits all
            for n in args.records:
                for method in args.methods:
                    result = run_child("bench.store", method, work / f"data-{n}", work)
                    runs.setdefault((n, method), []).append(result)
    _report(runs, args.records, args.methods)


def _report(runs: dict[tuple[int, str], list[dict]], sizes: list[int], methods: list[str]) -> None:
    print(f"{'method':<20}{'records':>9}{'rec/s':>10}{'x norm':>8}{'x plain':>9}{'peak MB':>9}")
    for n in sizes:
        seconds = {m: statistics.median(r["seconds"] for r in runs[n, m]) for m in methods}
        for method in methods:
            peak = max(r["peak_mb"] for r in runs[n, method])
            ratios = [
                f"{seconds[base] / seconds[method]:>{width}.2f}" if base in seconds else " " * width
                for base, width in (("normalize", 8), ("plain", 9))
            ]
            rate = n / seconds[method]
            print(f"{NAMES[method]:<20}{n:>9}{rate:>10.0f}{''.join(ratios)}{peak:>9.0f}")


if __name__ == "__main__":
    main()
