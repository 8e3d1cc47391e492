"""Benchmark: streaming a load into the store (Delta tables) against the plain-Parquet path.

    python -m bench.store [--records 50000] [--repeat 3]

Writes N synthetic Graph v1.0 records as pages (`bench.normalize.write_pages`), then runs
each method in its own process (peak RSS is that method's alone), in `--repeat` rounds,
reporting the median records/s and the highest peak RSS:
- plain: `pv.load_to_parquet` as it streamed before the store, into plain Hive-partitioned
  Parquet (`provlytics.parquet.DatasetWriter`);
- store: `pv.load_to_parquet` into a new store (`provlytics.store`);
- store merge: the same input loaded again into that store, so every event is replaced
  with its children (the merge on `event_id`).
The target (issue 13): the store no slower than 0.8x the plain path.
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

from bench.normalize import run_child, write_pages

METHODS = ("plain", "store", "merge")
NAMES = {"plain": "plain Parquet", "store": "store (new)", "merge": "store (merge all)"}


def run_method(method: str, data: Path, out: Path) -> None:
    """Run one method in this process and print its seconds and peak memory as JSON."""
    import provlytics as pv
    from provlytics import datasets, loader, parquet

    if method == "plain":  # the writer of plain datasets, as before the store
        loader.dataset_writer = lambda root, **_options: parquet.DatasetWriter(root)
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
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every method (median)")
    parser.add_argument("--run", nargs=3, metavar=("METHOD", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_method(args.run[0], Path(args.run[1]), Path(args.run[2]))
        sys.stdout.flush()
        os._exit(0)  # delta-rs may abort the interpreter at exit (134), as the CLI avoids
    with tempfile.TemporaryDirectory(prefix="provlytics-bench-store-") as tmp:
        work = Path(tmp)
        data = work / "data"
        write_pages(data, args.records, 1000)
        runs: dict[str, list[dict]] = {m: [] for m in METHODS}
        for _ in range(args.repeat):  # rounds, so that a slow spell of the machine hits all
            for method in METHODS:
                runs[method].append(run_child("bench.store", method, data, work))
    plain = statistics.median(r["seconds"] for r in runs["plain"])
    print(f"{'method':<20}{'records':>9}{'rec/s':>10}{'x plain':>9}{'peak MB':>9}")
    for method in METHODS:
        seconds = statistics.median(r["seconds"] for r in runs[method])
        peak = max(r["peak_mb"] for r in runs[method])
        rate, relative = args.records / seconds, plain / seconds
        print(f"{NAMES[method]:<20}{args.records:>9}{rate:>10.0f}{relative:>9.2f}{peak:>9.0f}")


if __name__ == "__main__":
    main()
