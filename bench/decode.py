"""Benchmark: one page of records -> the four tables, the decoder alone, against its floor.

    python -m bench.decode [--records 100000] [--page-size 1000] [--repeat 5]
                           [--baseline COMMIT]

Writes N synthetic Graph v1.0 records as Graph pages (`bench.normalize.write_pages`) and the
same records as diagnostic-settings exports (`PT1H.json` lines, one file per 1,000 records),
reads every file into memory, then times, in `--repeat` interleaved rounds (every method in
turn, so a slow spell of the shared machine hits them all), the median seconds of:
- floor, typed: `msgspec` decoding each page into structs that declare the v1.0 fields
  (what "merely parsing" costs; the issue's parse floor);
- floor, untyped: `msgspec.json.decode` of each page to dicts and lists;
- naive: `json.loads` + `pandas.json_normalize` of events, steps and modified properties
  (on the first `--naive-records` records only, scaled: it is slow);
- fast: `graph_v1.tables_from_json(page)` (the Graph v1.0 decoder), and its first part
  alone: the msgspec pass to raw tokens (`graph_v1._decode`);
- pyarrow's C++ JSON reader on each page with the v1.0 fields declared (one thread;
  unknown fields and the details bags dropped, so not a decoder: what it would cost to
  take the declared fields from it, as issue 14 proposes);
- general: `normalize_page` of the same pages as plain records (the reference path every
  other shape takes), and, per other dialect, its decoder on its own files;
- diagnostic fast: `diagnostic_fast` on the `PT1H.json` files (their lines joined, as the
  normalizer does);
- Graph v1.0 pages and every other dialect, file to tables (`_file_methods`): the same
  records written as each dialect's files (Graph v1.0 pages of 1,000 records, diagnostic
  `PT1H.json` lines, Event Hub batches, Graph beta pages with and without the v1.0
  fields, Log Analytics JSON and CSV exports, the portal's JSON array and its three-file
  CSV download), read the way a load reads them: `sources.files.iter_task_pages` then
  `normalize` on each page. The files sit in the page cache; their parsing (JSON envelope,
  CSV) is inside the clock, as it is part of the dialect's cost.
Prints records/s, the ratio to the typed floor and to naive, every dialect's rate against the
Graph v1.0 decoder's (issue 14: at least 0.5x), and the file source's cost per record on the
Graph v1.0 pages and on both CSV dialects' files (`_read`: the files read and each page told
apart or parsed, nothing normalized).
`--baseline COMMIT` adds every file row twice more, loaded in child processes
(`bench.baseline`): with that commit's `provlytics` and with this tree's, in the same rounds,
and prints the new rate against the old per row. Imports and file reading are
outside the clock; one process, so the methods share the machine's state alike.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import csv
import io
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pyarrow as pa
import pyarrow.json as pa_json

from bench.baseline import Loader
from bench.normalize import write_pages
from provlytics.normalize import diagnostic_fast, graph_v1
from provlytics.normalize.batch import normalize_page
from provlytics.normalize.pages import normalize
from provlytics.origin import Container, Origin, Page
from provlytics.sources.files import FileTask, file_tasks, iter_task_pages
from provlytics.synthetic import generate_records, to_diagnostic, write_portal_csv
from provlytics.synthetic.shapes import (
    LA_COLUMNS,
    to_beta_legacy,
    to_log_analytics,
    to_portal_json,
)


class _Named(msgspec.Struct, rename="camel"):
    id: str | None = None
    display_name: str | None = None
    initiator_type: str | None = None
    identity_type: str | None = None
    details: msgspec.Raw = msgspec.Raw(b"null")


class _Error(msgspec.Struct, rename="camel"):
    error_code: str | None = None
    error_category: str | None = None
    reason: str | None = None
    additional_details: str | None = None
    recommended_action: str | None = None


class _Status(msgspec.Struct, rename="camel"):
    status: str | None = None
    error_information: _Error | None = None


class _Step(msgspec.Struct, rename="camel"):
    name: str | None = None
    provisioning_step_type: str | None = None
    status: str | None = None
    description: str | None = None
    details: msgspec.Raw = msgspec.Raw(b"null")


class _Property(msgspec.Struct, rename="camel"):
    display_name: str | None = None
    old_value: str | None = None
    new_value: str | None = None


class _Record(msgspec.Struct, rename="camel"):
    id: str | None = None
    activity_date_time: str | None = None
    tenant_id: str | None = None
    job_id: str | None = None
    cycle_id: str | None = None
    change_id: str | None = None
    provisioning_action: str | None = None
    provisioning_status_info: _Status | None = None
    duration_in_milliseconds: int | None = None
    initiated_by: _Named | None = None
    service_principal: _Named | None = None
    source_system: _Named | None = None
    target_system: _Named | None = None
    source_identity: _Named | None = None
    target_identity: _Named | None = None
    provisioning_steps: list[_Step] | None = None
    modified_properties: list[_Property] | None = None


class _GraphPage(msgspec.Struct):
    value: list[_Record]


_TYPED = msgspec.json.Decoder(_GraphPage)


def _arrow_schema() -> pa.Schema:
    """The v1.0 fields the decoder reads, as Arrow types for pyarrow's JSON reader; no open
    bag (`details`): the reader cannot keep one as its text."""
    s, text = pa.string(), lambda *names: [(n, pa.string()) for n in names]
    named = text("@odata.type", "id", "displayName")
    error = text("@odata.type", "errorCode", "errorCategory", "reason", "additionalDetails")
    status = pa.struct([*text("@odata.type", "status"), ("errorInformation", pa.struct(error))])
    step = pa.struct(text("name", "provisioningStepType", "status", "description"))
    record = pa.struct(
        [
            *text("@odata.type", "id", "activityDateTime", "tenantId", "jobId", "cycleId"),
            *text("changeId", "provisioningAction"),
            ("provisioningStatusInfo", status),
            ("durationInMilliseconds", pa.int64()),
            ("initiatedBy", pa.struct([*named, ("initiatorType", s)])),
            *[(n, pa.struct(named)) for n in ("servicePrincipal", "sourceSystem", "targetSystem")],
            *[
                (n, pa.struct([*named, ("identityType", s)]))
                for n in ("sourceIdentity", "targetIdentity")
            ],
            ("provisioningSteps", pa.list_(step)),
            (
                "modifiedProperties",
                pa.list_(pa.struct(text("displayName", "oldValue", "newValue"))),
            ),
        ]
    )
    return pa.schema([*text("@odata.context", "@odata.nextLink"), ("value", pa.list_(record))])


def _arrow_json(pages: list[bytes]) -> None:
    """pyarrow's C++ JSON reader on each page, the declared fields only (one thread): what
    issue 14 proposes for them. Lossy: unknown fields and the details bags are dropped."""
    options = pa_json.ParseOptions(
        explicit_schema=_arrow_schema(), unexpected_field_behavior="ignore"
    )
    for page in pages:
        read = pa_json.ReadOptions(block_size=len(page) + 1, use_threads=False)
        pa_json.read_json(io.BytesIO(page), read_options=read, parse_options=options)


def _each(decode: Callable[[bytes], object]) -> Callable[[list[bytes]], None]:
    """Decode page after page, keeping none (as a loader that writes each page does)."""

    def run(pages: list[bytes]) -> None:
        for page in pages:
            decode(page)

    return run


def _naive(pages: list[bytes]) -> None:
    import pandas as pd

    records = [r for page in pages for r in json.loads(page)["value"]]
    pd.json_normalize(records).astype(str)
    pd.json_normalize(records, record_path="provisioningSteps", meta=["id"]).astype(str)
    pd.json_normalize(records, record_path="modifiedProperties", meta=["id"]).astype(str)


def _general(pages: list[bytes]) -> None:
    for page in pages:
        records = orjson.loads(page)["value"]
        normalize_page(Page(Origin("page.json"), Container.GRAPH_PAGE, records=records))


def _fast(pages: list[bytes]) -> None:
    for page in pages:
        if graph_v1.tables_from_json(page) is None:
            raise SystemExit("a synthetic page took the general path: the bench is wrong")


def _diagnostic(files: list[bytes]) -> None:
    for data in files:
        lines = [orjson.loads(line) for line in data.splitlines() if line.strip()]
        normalize_page(Page(Origin("PT1H.json"), Container.JSON_LINES, records=lines))


def _diagnostic_fast(files: list[bytes]) -> None:
    for data in files:
        lines = [line for line in data.decode().splitlines() if line.strip()]
        if diagnostic_fast.tables_from_json("[" + ",".join(lines) + "]") is None:
            raise SystemExit("a synthetic PT1H.json took the general path: the bench is wrong")


def _loaded(tasks: list[FileTask]) -> None:
    """Each file read as a load reads it: its pages from the file source, each normalized."""
    for task in tasks:
        for page in iter_task_pages(task):
            normalize(page)


def _read(tasks: list[FileTask]) -> None:
    """The file source alone: each file's pages read (and told apart), none normalized."""
    for task in tasks:
        for _page in iter_task_pages(task):
            pass


def _write_groups(folder: Path, records: list[dict], write: Callable[[Path, list], None]) -> None:
    """The records in groups of 1,000, one file (set) per group, each in its own folder."""
    for start in range(0, len(records), 1000):
        sub = folder / f"{start // 1000:04d}"
        sub.mkdir(parents=True)
        write(sub, records[start : start + 1000])


def _csv(path: Path, headers: tuple[str, ...], rows: list[dict], *, bom: bool) -> None:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def _json_file(name: str, shape: Callable[[list[dict]], object]) -> Callable[[Path, list], None]:
    return lambda folder, records: (folder / name).write_bytes(orjson.dumps(shape(records)))


_BETA = "https://graph.microsoft.com/beta/$metadata#auditLogs/provisioning"
_V1 = "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning"
# Graph v1.0 pages and every other dialect: how their files are written from Graph v1.0
# records (synthetic.shapes).
_DIALECT_FILES: dict[str, Callable[[Path, list], None]] = {
    "graph v1": _json_file("page.json", lambda rs: {"@odata.context": _V1, "value": rs}),
    "diagnostic Event Hub": _json_file(
        "batch.json", lambda rs: {"records": [to_diagnostic(r) for r in rs]}
    ),
    "diagnostic PT1H.json": lambda folder, rs: (folder / "PT1H.json").write_bytes(
        b"".join(orjson.dumps(to_diagnostic(r)) + b"\n" for r in rs)
    ),
    "graph.beta": _json_file(
        "beta.json",
        lambda rs: {
            "@odata.context": _BETA,
            "value": [to_beta_legacy(r, keep_new=True) for r in rs],
        },
    ),
    "graph.beta.legacy": _json_file(
        "beta.json", lambda rs: {"@odata.context": _BETA, "value": [to_beta_legacy(r) for r in rs]}
    ),
    "log analytics JSON": _json_file(
        "AADProvisioningLogs.json", lambda rs: [to_log_analytics(r) for r in rs]
    ),
    "log analytics CSV": lambda folder, rs: _csv(
        folder / "AADProvisioningLogs.csv", LA_COLUMNS, [to_log_analytics(r) for r in rs], bom=False
    ),
    "portal JSON": _json_file("ProvisioningLogs.json", lambda rs: [to_portal_json(r) for r in rs]),
    "portal CSV": write_portal_csv,
}


def _dialect_folders(records: int) -> dict[str, Path]:
    """A folder per dialect (Graph v1.0 pages included) of its files of the same synthetic
    records, removed at exit; keyed by the method's name."""
    root = Path(tempfile.mkdtemp(prefix="provlytics-dialects-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    source = list(generate_records(records, seed=1, days=3))
    folders = {}
    for name, write in _DIALECT_FILES.items():
        folder = root / name.replace(" ", "-")
        _write_groups(folder, source, write)
        folders[f"{name} (file)"] = folder
    return folders


def _file_methods(folders: dict[str, Path], records: int, loaders: list[Loader]) -> _Methods:
    """A method per dialect folder, loaded by `_loaded` in this process, and again in each
    of `loaders`' processes (another commit's code; the rows named `... @<commit>`); first,
    the file source alone on the Graph v1.0 pages (`_read`), the same ways."""
    graph = folders["graph v1 (file)"]
    graph_tasks = file_tasks(graph)
    methods: _Methods = {
        _SOURCE: (lambda: _time(_read, graph_tasks), records),
        **{
            f"{_SOURCE} @{loader.label}": (
                lambda lo=loader: lo.time(graph, read_only=True),
                records,
            )
            for loader in loaders
        },
    }
    for name, folder in folders.items():
        tasks = file_tasks(folder)
        methods[name] = (lambda tasks=tasks: _time(_loaded, tasks), records)
        for loader in loaders:
            methods[f"{name} @{loader.label}"] = (lambda f=folder, lo=loader: lo.time(f), records)
    methods.update(_csv_source_methods(folders, records, loaders))
    return methods


_CSV_FOLDERS = ("log analytics CSV (file)", "portal CSV (file)")


def _csv_source_methods(folders: dict[str, Path], records: int, loaders: list[Loader]) -> _Methods:
    """The file source alone on each CSV dialect's files (`_read`: pages read, none
    normalized), in this process and in each of `loaders`' processes."""
    methods: _Methods = {}
    for name in _CSV_FOLDERS:
        folder, row = folders[name], f"{name.removesuffix(' (file)')} {_SOURCE_ONLY}"
        tasks = file_tasks(folder)
        methods[row] = (lambda tasks=tasks: _time(_read, tasks), records)
        for loader in loaders:
            methods[f"{row} @{loader.label}"] = (
                lambda f=folder, lo=loader: lo.time(f, read_only=True),
                records,
            )
    return methods


def _print_dialects(rates: dict[str, float]) -> None:
    """Each dialect's rate against the Graph v1.0 decoder's (issue 14: >= 0.5x), and the
    file source's own cost per record on Graph v1.0 pages."""
    graph = rates["graph v1 tables_from_json"]
    for name, rate in rates.items():
        if "@" not in name and (name.startswith("diagnostic") or name.endswith("(file)")):
            print(f"{name}: {rate / graph:.2f}x the Graph v1.0 decoder")
    for name, rate in rates.items():
        if _SOURCE_ONLY in name:
            print(f"{name}: {1e6 / rate:.2f} us per record")


def _print_baselines(rates: dict[str, float], old: str, new: str) -> None:
    """Each file row with the new code against the same row with the old (same rounds)."""
    for name in rates:
        if name.endswith(f" @{new}"):
            row = name.removesuffix(f" @{new}")
            before = rates[f"{row} @{old}"]
            less = (1 / before - 1 / rates[name]) * 1e6
            print(
                f"{row}: {rates[name] / before:.2f}x its rate at {old} ({less:.2f} us less/record)"
            )


def _write_diagnostic(folder: Path, records: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths, lines = [], []
    for record in generate_records(records, seed=1, days=3):
        lines.append(orjson.dumps(to_diagnostic(record)))
        if len(lines) == 1000:
            paths.append(folder / f"PT1H-{len(paths):04d}.json")
            paths[-1].write_bytes(b"\n".join(lines) + b"\n")
            lines = []
    if lines:
        paths.append(folder / f"PT1H-{len(paths):04d}.json")
        paths[-1].write_bytes(b"\n".join(lines) + b"\n")
    return paths


_Methods = dict[str, tuple[Callable[[], float], int]]  # name: (seconds of one run, records)
_SOURCE_ONLY = "file source only"
_SOURCE = f"graph v1 {_SOURCE_ONLY}"


def _time(run: Callable[[Any], object], data: Any) -> float:
    start = time.perf_counter()
    run(data)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--naive-records", type=int, default=10_000)
    parser.add_argument(
        "--baseline",
        metavar="COMMIT",
        help="also load each dialect's files with this commit's code and with this tree's, "
        "each in a child process, in the same rounds (bench.baseline)",
    )
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        loaders = []
        if args.baseline:
            loaders = [stack.enter_context(Loader(c)) for c in (args.baseline, None)]
        rates = _run(args, loaders)
    _print_dialects(rates)
    if args.baseline:
        _print_baselines(rates, args.baseline, loaders[1].label)


def _run(args: argparse.Namespace, loaders: list[Loader]) -> dict[str, float]:
    """Every method in `args.repeat` interleaved rounds; prints and returns records/s."""
    with tempfile.TemporaryDirectory(prefix="provlytics-decode-") as tmp:
        folder = Path(tmp) / "graph"
        write_pages(folder, args.records, args.page_size)
        pages = [path.read_bytes() for path in sorted(folder.glob("*.json"))]
        diagnostic = [p.read_bytes() for p in _write_diagnostic(Path(tmp) / "diag", args.records)]
    naive_pages = pages[: max(1, args.naive_records // args.page_size)]
    naive_n = sum(len(orjson.loads(page)["value"]) for page in naive_pages)
    in_memory: dict[str, tuple[Callable, list[bytes], int]] = {
        "floor: msgspec typed": (_each(_TYPED.decode), pages, args.records),
        "floor: msgspec untyped": (_each(msgspec.json.decode), pages, args.records),
        "naive json_normalize": (_naive, naive_pages, naive_n),
        "graph v1 tables_from_json": (_fast, pages, args.records),
        "graph v1 tokens only (its msgspec pass)": (
            _each(graph_v1.decode_page),
            pages,
            args.records,
        ),
        "pyarrow JSON, declared fields (lossy)": (_arrow_json, pages, args.records),
        "graph v1 general path": (_general, pages, args.records),
        "diagnostic (general path)": (_diagnostic, diagnostic, args.records),
        "diagnostic lines, fast": (_diagnostic_fast, diagnostic, args.records),
    }
    methods: _Methods = {
        name: (lambda run=run, data=data: _time(run, data), n)
        for name, (run, data, n) in in_memory.items()
    }
    methods.update(_file_methods(_dialect_folders(args.records), args.records, loaders))
    seconds: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeat):
        for name, (run, _n) in methods.items():
            seconds[name].append(run())
    rates = {name: n / statistics.median(seconds[name]) for name, (_r, n) in methods.items()}
    mb = sum(map(len, pages)) / 2**20
    print(f"{args.records} records, {len(pages)} pages, {mb:.0f} MB; medians of {args.repeat}")
    print(f"{'method':<40}{'records/s':>12}{'x floor':>10}{'x naive':>10}")
    for name, rate in rates.items():
        floor, naive = rate / rates["floor: msgspec typed"], rate / rates["naive json_normalize"]
        print(f"{name:<40}{rate:>12,.0f}{floor:>10.2f}{naive:>10.1f}")
    return rates


if __name__ == "__main__":
    main()
