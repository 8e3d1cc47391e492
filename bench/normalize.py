"""Benchmark: saved Graph pages -> the four tables -> Parquet, against a naive baseline.

    python -m bench.normalize [--records 50000] [--page-size 1000]

Writes N synthetic Graph v1.0 records as Graph pages, then runs each method in its own
process (so peak RSS is that method's alone), `--repeat` times (3), and reports the median
records/s and the peak memory:
- naive: `json.load` every page, `pandas.json_normalize` events, steps and modified
  properties, `to_parquet` (what most scripts do today);
- `pv.load(...).to_parquet(...)`: in memory, in one process and with the default workers
  (every core, up to 4, once the input passes 32 MB);
- `pv.load_to_parquet(...)`: streaming page by page, at N and 2N records, to show that
  peak memory does not grow with the number of input files.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from provlytics.synthetic import generate_records

METHODS = ("naive", "load1", "load", "stream")


def write_pages(folder: Path, records: int, page_size: int) -> int:
    """Write `records` Graph-shaped records as pages of `page_size`; returns the file count."""
    folder.mkdir(parents=True, exist_ok=True)
    page: list[dict] = []
    files = 0
    for record in generate_records(records, seed=1):
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
    """Run one method in this process and print its timing and peak RSS as JSON."""
    import pandas as pd

    import provlytics as pv
    from provlytics import loader, parquet  # noqa: F401  (imported before the clock, as pandas)

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
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


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


def _measure(method: str, data: Path, work: Path, repeat: int) -> dict:
    """The median run of `repeat` (each into an empty folder) and the highest peak RSS."""
    runs = []
    for _ in range(repeat):
        out = work / f"out-{method}"
        shutil.rmtree(out, ignore_errors=True)
        result = subprocess.run(
            [sys.executable, "-m", "bench.normalize", "--run", method, str(data), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    seconds = statistics.median(r["seconds"] for r in runs)
    return {"seconds": seconds, "peak_mb": max(r["peak_mb"] for r in runs)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (median)")
    parser.add_argument("--run", nargs=3, metavar=("METHOD", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_method(args.run[0], Path(args.run[1]), Path(args.run[2]))
        return
    with tempfile.TemporaryDirectory(prefix="provlytics-bench-") as tmp:
        work = Path(tmp)
        rows = []
        for n in (args.records, 2 * args.records):
            data = work / f"data-{n}"
            files = write_pages(data, n, args.page_size)
            mb = sum(p.stat().st_size for p in data.iterdir()) / 2**20
            methods = METHODS if n == args.records else ("stream",)
            for method in methods:
                result = _measure(method, data, work, args.repeat)
                rows.append((method, n, files, mb, result))
        _report(rows)


def _report(rows: list[tuple]) -> None:
    baseline = next(r[4] for r in rows if r[0] == "naive")
    base_rate = rows[0][1] / baseline["seconds"]
    names = {
        "naive": "naive json_normalize",
        "load1": "load().to_parquet() 1 proc",
        "load": "pv.load().to_parquet()",
        "stream": "pv.load_to_parquet()",
    }
    header = ("method", "records", "files", "input MB", "rec/s", "x naive", "peak RSS MB")
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
                )
            )
        )


def _line(cells: tuple) -> str:
    widths = (26, 9, 7, 10, 10, 9, 13)
    first, *rest = cells
    return f"{first:<{widths[0]}}" + "".join(
        f"{c!s:>{w}}" for c, w in zip(rest, widths[1:], strict=True)
    )


if __name__ == "__main__":
    main()
