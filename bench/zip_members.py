"""Benchmark: `pv.load` of a `.zip` archive of many small members, against a baseline commit.

    python -m bench.zip_members [--members 2000] [--member-kb 125] [--rounds 1]
                                [--baseline main] [--workers 0]

Writes one archive (deflated) of `--members` members of about `--member-kb` KB each, what
Event Hub captures or saved Graph pages come as: half Graph v1.0 pages (`{"@odata.context":
..., "value": [...]}`), half Event Hub batches of diagnostic records (`{"records": [...]}`),
synthetic records. Then, in `--rounds` interleaved rounds, times in two child processes
(`bench.baseline`: the `--baseline` commit's `provlytics`, and this tree's; imports outside
the clock):

- `file_tasks`: the archive listed and its members' heads looked into (audit and sign-in
  logs left out, `sources.other_logs`);
- `pv.load`: the whole load, `pv.load(archive, workers=--workers, progress=False)`;
- `pv.load unzipped`: the same load of the members extracted into a folder (the floor: what
  reading and normalizing the records cost, no archive).

Prints the median seconds of each, old and new, and the ratio. Before each archive was
opened once per member (its central directory parsed each time: n^2 in the members); the
load now opens it once (`sources.archives`).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import zipfile
from pathlib import Path

import orjson

from bench.baseline import Loader
from provlytics.synthetic import generate_records, to_diagnostic

_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning"


def write_archive(path: Path, members: int, member_kb: int) -> int:
    """An archive of `members` members of about `member_kb` KB each, half Graph pages, half
    Event Hub batches; returns the records written."""
    sample = orjson.dumps(next(iter(generate_records(1, seed=7))))
    per_member = max(1, member_kb * 1000 // len(sample))
    records = iter(generate_records(members * per_member, seed=7, days=30))
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number in range(members):
            chunk = [next(records) for _ in range(per_member)]
            if number % 2:
                doc = {"records": [to_diagnostic(r) for r in chunk]}
                name = f"insights-logs-provisioninglogs/PT1H-{number:05d}.json"
            else:
                doc = {"@odata.context": _CONTEXT, "value": chunk}
                name = f"graph/page-{number:05d}.json"
            archive.writestr(name, orjson.dumps(doc))
            written += len(chunk)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--member-kb", type=int, default=125)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", default="main", help="commit to compare with")
    parser.add_argument("--workers", type=int, default=0, help="pv.load's workers=")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="provlytics-bench-zip-"))
    try:
        archive = folder / "capture.zip"
        records = write_archive(archive, args.members, args.member_kb)
        size = archive.stat().st_size / 2**20
        expanded = sum(i.file_size for i in zipfile.ZipFile(archive).infolist()) / 2**20
        print(
            f"{archive.name}: {args.members} members, {records} records, "
            f"{size:.0f} MiB ({expanded:.0f} MiB expanded)"
        )
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(folder / "unzipped")
        load = f"pv.load workers={args.workers}"
        rows = {
            "file_tasks": (archive, "file_tasks"),
            load: (archive, load),
            f"{load} unzipped": (folder / "unzipped", load),
        }
        times: dict[tuple[str, str], list[float]] = {}
        with Loader(args.baseline) as old, Loader(None) as new:
            for _ in range(args.rounds):
                for row, (path, call) in rows.items():
                    for loader in (old, new):
                        seconds = loader.time_call(path, call)
                        times.setdefault((row, loader.label), []).append(seconds)
            print(f"median of {args.rounds} round(s), seconds:")
            print(f"{'':34}{old.label:>12}{new.label:>12}{'speed-up':>10}")
            for row in rows:
                before = statistics.median(times[row, old.label])
                after = statistics.median(times[row, new.label])
                print(f"{row:34}{before:12.2f}{after:12.2f}{before / after:9.1f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
