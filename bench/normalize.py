"""Benchmark: saved Graph pages -> the four tables -> Parquet, against a naive baseline.

    python -m bench.normalize [--records 50000] [--page-size 1000]

Writes N synthetic Graph v1.0 records as Graph pages, then runs each method in its own
process (so peak RSS is that method's alone), in `--repeat` rounds (5) that take every
method in turn (so a slow spell of the machine hits them all), and reports the median
records/s, the peak RSS of the process and the summed peak RSS of its worker processes:
- naive: `json.load` every page, `pandas.json_normalize` events, steps and modified
  properties, `to_parquet` (what most scripts do today);
- `pv.load(...).to_parquet(...)`: in memory, in one process and with the default workers
  (every core, up to 4, once the input passes 32 MB);
- `pv.load_to_parquet(...)`: streaming page by page, at N records over 3 days and 2N over
  6 days, to show that peak memory does not grow with the number of input files (it is
  bounded by the largest day, which the commit merges in memory).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import orjson

from bench import child_result
from provlytics.synthetic import generate_records

METHODS = ("naive", "load1", "load", "stream")


def write_pages(folder: Path, records: int, page_size: int, days: float = 3) -> int:
    """Write `records` Graph-shaped records over `days` days as pages of `page_size`;
    returns the file count."""
    folder.mkdir(parents=True, exist_ok=True)
    page: list[dict] = []
    files = 0
    for record in generate_records(records, seed=1, days=days):
        page.append(record)
        if len(page) == page_size:
            files += _write_page(folder, files, page)
            page = []
    if page:
        files += _write_page(folder, files, page)
    return files


def _write_page(folder: Path, number: int, records: list[dict]) -> int:
    body = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning",
        "value": records,
    }
    (folder / f"page-{number:05d}.json").write_bytes(orjson.dumps(body))
    return 1


def run_method(method: str, data: Path, out: Path) -> None:
    """Run one method in this process and print its timing and peak memory as JSON."""
    import pandas as pd

    import provlytics as pv
    from provlytics import loader, parquet  # noqa: F401  (imported before the clock, as pandas)

    workers = _WorkerMemory()
    workers.start()
    start = time.perf_counter()
    if method == "naive":
        _naive(pd, data, out)
    elif method == "load1":
        pv.load(data, progress=False, workers=1).to_parquet(out)
    elif method == "load":
        pv.load(data, progress=False).to_parquet(out)
    else:
        pv.load_to_parquet(data, out, progress=False)
    seconds = time.perf_counter() - start
    workers.stop.set()
    workers.join()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "workers_mb": workers.peak_mb}))


class _WorkerMemory(threading.Thread):
    """Samples, every 0.1 s, the summed RSS of this process's descendants: worker processes
    are grandchildren, under the forkserver, which `getrusage` cannot see. (Pages they share,
    such as the libraries, count once per process: an upper bound.)"""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak_mb = 0.0

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.peak_mb = max(self.peak_mb, sum(map(_rss_mb, _descendants(os.getpid()))))


def _descendants(root: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return int(kb) / 1024


def _naive(pd, data: Path, out: Path) -> None:
    records: list[dict] = []
    for path in sorted(data.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            records += json.load(handle)["value"]
    out.mkdir(parents=True, exist_ok=True)
    pd.json_normalize(records).astype(str).to_parquet(out / "events.parquet")
    steps = pd.json_normalize(records, record_path="provisioningSteps", meta=["id"])
    steps.astype(str).to_parquet(out / "steps.parquet")
    props = pd.json_normalize(records, record_path="modifiedProperties", meta=["id"])
    props.astype(str).to_parquet(out / "modified_properties.parquet")


def run_child(module: str, method: str, data: Path, work: Path) -> dict:
    """Run `python -m <module> --run METHOD DATA OUT` in a fresh process; its last stdout
    line is the JSON result (so imports and memory of one method never count for another)."""
    out = work / f"out-{method}"
    shutil.rmtree(out, ignore_errors=True)
    return child_result(module, "--run", method, str(data), str(out))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of every method (median)")
    parser.add_argument("--run", nargs=3, metavar=("METHOD", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_method(args.run[0], Path(args.run[1]), Path(args.run[2]))
        return
    with tempfile.TemporaryDirectory(prefix="provlytics-bench-") as tmp:
        work = Path(tmp)
        plan = []  # (method, records, files, input MB, folder)
        for n in (args.records, 2 * args.records):
            data = work / f"data-{n}"
            # as many records a day: twice the files cover twice the days
            files = write_pages(data, n, args.page_size, days=3 * n / args.records)
            mb = sum(p.stat().st_size for p in data.iterdir()) / 2**20
            methods = METHODS if n == args.records else ("stream",)
            plan += [(method, n, files, mb, data) for method in methods]
        runs: list[list[dict]] = [[] for _ in plan]
        for _ in range(args.repeat):  # rounds, so that a slow spell of the machine hits all
            for step, (method, *_, data) in enumerate(plan):
                runs[step].append(run_child("bench.normalize", method, data, work))
        _report([(*step[:4], _summary(r)) for step, r in zip(plan, runs, strict=True)])


def _summary(runs: list[dict]) -> dict:
    """The median time, and the highest peaks of memory."""
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "workers_mb": max(r["workers_mb"] for r in runs),
    }


def _report(rows: list[tuple]) -> None:
    baseline = next(r[4] for r in rows if r[0] == "naive")
    base_rate = rows[0][1] / baseline["seconds"]
    names = {
        "naive": "naive json_normalize",
        "load1": "load().to_parquet() 1 proc",
        "load": "pv.load().to_parquet()",
        "stream": "pv.load_to_parquet()",
    }
    header = ("method", "records", "files", "input MB", "rec/s", "x naive", "peak MB", "workers MB")
    print(_line(header))
    for method, n, files, mb, result in rows:
        rate = n / result["seconds"]
        peak = result["peak_mb"]
        print(
            _line(
                (
                    names[method],
                    n,
                    files,
                    f"{mb:.0f}",
                    f"{rate:.0f}",
                    f"{rate / base_rate:.1f}",
                    f"{peak:.0f}",
                    f"{result['workers_mb']:.0f}" if result["workers_mb"] else "-",
                )
            )
        )


def _line(cells: tuple) -> str:
    widths = (26, 9, 7, 10, 10, 9, 9, 12)
    first, *rest = cells
    return f"{first:<{widths[0]}}" + "".join(
        f"{c!s:>{w}}" for c, w in zip(rest, widths[1:], strict=True)
    )


if __name__ == "__main__":
    main()
