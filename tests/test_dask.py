"""`pv.load_dask` on a local Dask cluster of two worker processes: the tables, store, errors
and rejects of `pv.load` / `pv.load_to_parquet` on the same files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow.compute as pc
import pytest
from distributed import Client, LocalCluster

import provlytics as pv
from provlytics.errors import ConfigError, InputError
from provlytics.pipeline.partitions import partition_tasks
from provlytics.sources.files import file_tasks
from provlytics.synthetic import generate_records, to_diagnostic

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
TENANT = "tenantId=5611623b-07e3-4b9e-9a2a-0c2f2a2f3c1d"
HOURS = 6
PER_HOUR = 40


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Client]:
    """Two single-threaded worker processes; not the default client (passed explicitly)."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def write_archive(root: Path) -> list[Path]:
    """A diagnostic-settings archive: one `PT1H.json` blob of JSON lines per hour, in the
    storage account's folder tree. The first record of each hour is delivered again, with
    another duration, at the end of the next hour's blob: the later copy must win."""
    start = datetime(2026, 11, 17, tzinfo=UTC)
    records = [to_diagnostic(r) for r in generate_records(HOURS * PER_HOUR, seed=7, days=0.25)]
    blobs = []
    for hour in range(HOURS):
        lines = records[hour * PER_HOUR : (hour + 1) * PER_HOUR]
        if hour:
            again = orjson.loads(orjson.dumps(records[(hour - 1) * PER_HOUR]))
            again["durationMs"] = again["properties"]["durationInMilliseconds"] = 4242
            lines = [*lines, again]
        when = start + timedelta(hours=hour)
        blob = root / TENANT / when.strftime("y=%Y/m=%m/d=%d/h=%H/m=00") / "PT1H.json"
        blob.parent.mkdir(parents=True)
        blob.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
        blobs.append(blob)
    return blobs


def assert_same_tables(got: pv.ProvisioningFrames, want: pv.ProvisioningFrames) -> None:
    for name in pv.SCHEMAS:
        assert got.table(name).equals(want.table(name)), name
    assert got.sources == want.sources
    assert got.records_read == want.records_read
    assert got.rejects.equals(want.rejects)


def test_samples_of_every_dialect_load_as_pv_load_loads_them(dask_client):
    got = pv.load_dask(SAMPLES, client=dask_client, files_per_partition=3, progress=False)
    want = pv.load(SAMPLES, progress=False)
    assert_same_tables(got, want)
    assert got.counts() == {
        "events": 2033,
        "steps": 7852,
        "modified_properties": 5259,
        "errors": 301,
        "job_status": 6,
    }


def test_the_default_client_is_used_and_none_is_a_config_error(dask_client, tmp_path):
    write_archive(tmp_path)
    with pytest.raises(ConfigError, match="needs a Dask cluster"):
        pv.load_dask(tmp_path)
    with dask_client.as_current():
        got = pv.load_dask(tmp_path, progress=False)
    assert_same_tables(got, pv.load(tmp_path, progress=False))


def test_a_diagnostic_archive_into_a_store_as_load_to_parquet_writes_it(dask_client, tmp_path):
    blobs = write_archive(tmp_path / "archive")
    assert len(partition_tasks(file_tasks(tmp_path / "archive"), files=2)) == 3
    manifest = pv.load_dask(
        tmp_path / "archive",
        out=tmp_path / "dask",
        client=dask_client,
        files_per_partition=2,
        in_flight=1,  # one partition at a time: still in order
    )
    expected = pv.load_to_parquet(tmp_path / "archive", tmp_path / "local", progress=False)
    got, want = pv.read_parquet(tmp_path / "dask"), pv.read_parquet(tmp_path / "local")
    assert_same_tables(got, want)
    assert {k: v for k, v in manifest.items() if k != "written_at"} == {
        k: v for k, v in expected.items() if k != "written_at"
    }
    events = got.table("events")
    assert (manifest["records_read"], events.num_rows) == (HOURS * PER_HOUR + HOURS - 1, 240)
    day = blobs[0].parents[2]  # the sources are named below the folder they share
    assert manifest["sources"] == [f"h={h:02}/m=00/PT1H.json" for h in range(HOURS)]
    assert [str(b.relative_to(day)) for b in blobs] == manifest["sources"]
    redelivered = events.filter(pc.equal(events["duration_ms"], 4242))["event_id"].to_pylist()
    first = [orjson.loads(b.read_bytes().split(b"\n")[0])["properties"]["id"] for b in blobs]
    assert sorted(redelivered) == sorted(first[:-1])  # the later copy won, across partitions


def write_bad_archive(root: Path) -> None:
    """The archive with a truncated line in the third hour's blob, and a truncated Event Hub
    batch after the blobs."""
    blobs = write_archive(root)
    lines = blobs[2].read_bytes().split(b"\n")
    lines[5] = lines[5][:50]
    blobs[2].write_bytes(b"\n".join(lines))
    (root / "zz-eventhub-batch.json").write_bytes(b'{"records": [{"time": "2026-')


def test_a_bad_file_raises_the_input_error_pv_load_raises(dask_client, tmp_path):
    write_bad_archive(tmp_path / "archive")
    with pytest.raises(InputError) as expected:
        pv.load(tmp_path / "archive", progress=False)
    with pytest.raises(InputError) as raised:
        pv.load_dask(
            tmp_path / "archive", out=tmp_path / "store", client=dask_client, files_per_partition=1
        )
    assert type(raised.value) is InputError
    assert str(raised.value) == str(expected.value)
    assert "h=02/m=00/PT1H.json:6: record 6: not valid JSON" in str(raised.value)
    assert not (tmp_path / "store" / "manifest.json").exists()


def test_collect_mode_keeps_the_rejects_of_pv_load(dask_client, tmp_path):
    write_bad_archive(tmp_path / "archive")
    got = pv.load_dask(
        tmp_path / "archive", client=dask_client, on_error="collect", files_per_partition=2
    )
    want = pv.load(tmp_path / "archive", on_error="collect", progress=False)
    assert_same_tables(got, want)
    assert [(r.field, r.reason[:14]) for r in got.rejected] == [
        (None, "not valid JSON"),
        (None, "not valid JSON"),
    ]
    assert got.rejected[1].origin.endswith("zz-eventhub-batch.json")
    manifest = pv.load_dask(
        tmp_path / "archive",
        out=tmp_path / "store",
        client=dask_client,
        on_error="collect",
        progress=False,
    )
    assert manifest["records_rejected"] == 2


def test_partitions_are_consecutive_files_cut_by_count_and_by_size(tmp_path):
    sizes = {"a": 10, "b": 10, "c": 30, "d": 5, "e": 5, "f": 5, "g": 5}
    for name, size in sizes.items():
        (tmp_path / f"{name}.json").write_bytes(b" " * size)
    tasks = file_tasks(tmp_path)
    cut = partition_tasks(tasks, files=3, size=25)
    assert [[t.file.path.stem for t in part] for part in cut] == [
        ["a", "b"],
        ["c"],  # larger than `size`: a partition alone
        ["d", "e", "f"],
        ["g"],
    ]


def test_the_warnings_of_files_read_on_the_cluster_are_said_as_pv_load_says_them(
    dask_client, tmp_path
):
    """A portal file without its companions warns on the driver, as in `pv.load`, though
    a cluster worker read it."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        main = SAMPLES / "portal" / "ProvisioningLogs.csv"
        (tmp_path / name / main.name).write_bytes(main.read_bytes())
    with pytest.warns(pv.LoadWarning) as loaded:
        pv.load(tmp_path, progress=False)
    with pytest.warns(pv.LoadWarning) as on_dask:
        pv.load_dask(tmp_path, client=dask_client, files_per_partition=1, progress=False)
    said = [str(w.message) for w in on_dask]
    assert said == [str(w.message) for w in loaded]
    assert said == [
        f"{tmp_path / name / 'ProvisioningLogs.csv'}: its {kind} file was not found; "
        "its events load without them"
        for name in ("a", "b")
        for kind in ("ProvisioningSteps", "ModifiedProperties")
    ]
