"""Portal downloads as they arrive in a Downloads folder: a main file alone, companions renamed
by the browser, two downloads side by side, .zip archives, and glob patterns."""

from __future__ import annotations

import csv
import io
import logging
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import provlytics as pv
from provlytics.errors import InputError
from provlytics.parquet import read_manifest

PORTAL = Path(__file__).resolve().parent.parent / "data" / "samples" / "portal"
MAIN = PORTAL / "ProvisioningLogs.csv"
STEPS = PORTAL / "ProvisioningLogs_ProvisioningSteps.csv"
PROPS = PORTAL / "ProvisioningLogs_ModifiedProperties.csv"
FULL = {"events": 80, "steps": 304, "modified_properties": 195, "errors": 10, "job_status": 0}
GRAPH_V1 = PORTAL.parent / "graph-v1" / "provisioning-page-001.json"


def counts(frames: pv.ProvisioningFrames) -> dict[str, int]:
    return dict(frames.counts())


def copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def test_the_sample_download_as_the_baseline():
    assert counts(pv.load([MAIN, STEPS, PROPS])) == FULL


def test_a_main_file_alone_loads_its_events_with_a_warning(tmp_path, caplog):
    copy(MAIN, tmp_path / "ProvisioningLogs.csv")
    with caplog.at_level(logging.WARNING, logger="provlytics.sources.portal_csv"):
        frames = pv.load(tmp_path)
    assert counts(frames) == {**FULL, "steps": 0, "modified_properties": 0}
    assert set(frames.events["dialect"]) == {"portal"}
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "ProvisioningSteps file was not found" in warned
    assert "ModifiedProperties file was not found" in warned


def test_companions_renamed_by_the_browser_are_matched(tmp_path, caplog):
    copy(MAIN, tmp_path / "ProvisioningLogs (1).csv")
    copy(STEPS, tmp_path / "ProvisioningLogs_ProvisioningSteps (2).csv")
    copy(PROPS, tmp_path / "ProvisioningLogs_ModifiedProperties (1).csv")
    with caplog.at_level(logging.WARNING):
        frames = pv.load(tmp_path)
    assert counts(frames) == FULL
    assert frames.sources == [str(tmp_path / "ProvisioningLogs (1).csv")]
    assert not [r for r in caplog.records if "not found" in r.getMessage()]


def test_companions_of_any_name_are_told_by_their_headers(tmp_path):
    copy(MAIN, tmp_path / "export.csv")
    copy(STEPS, tmp_path / "download (3).csv")
    copy(PROPS, tmp_path / "other download.csv")
    assert counts(pv.load(tmp_path)) == FULL


def _split(source: Path, keep: set[str], target: Path) -> None:
    """The rows of a portal CSV whose change ID is in `keep`, header included."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("Change Id")
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *(r for r in rows[1:] if r[column] in keep)])


def test_two_downloads_side_by_side_pair_by_change_ids(tmp_path):
    with MAIN.open(encoding="utf-8-sig", newline="") as handle:
        changes = [row["Change Id"] for row in csv.DictReader(handle)]
    first, second = set(changes[:30]), set(changes[30:])
    _split(MAIN, first, tmp_path / "ProvisioningLogs.csv")
    _split(MAIN, second, tmp_path / "ProvisioningLogs (1).csv")
    # crossed on purpose: the unnumbered companions belong to the numbered download
    _split(STEPS, second, tmp_path / "ProvisioningLogs_ProvisioningSteps.csv")
    _split(STEPS, first, tmp_path / "ProvisioningLogs_ProvisioningSteps (1).csv")
    _split(PROPS, first, tmp_path / "ProvisioningLogs_ModifiedProperties (1).csv")
    _split(PROPS, second, tmp_path / "ProvisioningLogs_ModifiedProperties.csv")
    assert counts(pv.load(tmp_path)) == FULL


def test_the_same_download_saved_twice_loads_once(tmp_path):
    for suffix in ("", " (1)"):
        copy(MAIN, tmp_path / f"ProvisioningLogs{suffix}.csv")
        copy(STEPS, tmp_path / f"ProvisioningLogs_ProvisioningSteps{suffix}.csv")
        copy(PROPS, tmp_path / f"ProvisioningLogs_ModifiedProperties{suffix}.csv")
    frames = pv.load(tmp_path)
    assert counts(frames) == FULL
    assert frames.records_read == 2 * FULL["events"]


def rows(frames: pv.ProvisioningFrames) -> dict[str, list[tuple]]:
    """The events, steps and modified properties, as sorted rows (for comparing loads)."""
    return {
        name: sorted(map(tuple, getattr(frames, name).astype(str).to_numpy().tolist()))
        for name in ("events", "steps", "modified_properties")
    }


BASELINE = rows(pv.load([MAIN, STEPS, PROPS]))


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("incomplete", ["ProvisioningLogs{} (1).csv", "ProvisioningLogs{}.csv"])
def test_a_second_copy_missing_a_companion_loses_no_property(tmp_path, caplog, incomplete):
    """The same download saved twice, one copy without its _ModifiedProperties file: the
    companions pair by copy number, the incomplete copy is named, nothing is lost."""
    complete = "ProvisioningLogs{}.csv" if "(1)" in incomplete else "ProvisioningLogs{} (1).csv"
    for source, kind in ((MAIN, ""), (STEPS, "_ProvisioningSteps"), (PROPS, "_ModifiedProperties")):
        copy(source, tmp_path / complete.format(kind))
    copy(MAIN, tmp_path / incomplete.format(""))
    copy(STEPS, tmp_path / incomplete.format("_ProvisioningSteps"))
    with caplog.at_level(logging.WARNING):
        frames = pv.load(tmp_path)
    assert rows(frames) == BASELINE
    assert frames.records_read == 2 * FULL["events"]
    assert warnings_of(caplog) == [
        f"{tmp_path / incomplete.format('')}: its ModifiedProperties file was not found; "
        "its events load without them"
    ]


def test_two_copies_each_missing_a_different_companion(tmp_path, caplog):
    copy(MAIN, tmp_path / "ProvisioningLogs.csv")
    copy(STEPS, tmp_path / "ProvisioningLogs_ProvisioningSteps.csv")
    copy(MAIN, tmp_path / "ProvisioningLogs (1).csv")
    copy(PROPS, tmp_path / "ProvisioningLogs_ModifiedProperties (1).csv")
    with caplog.at_level(logging.WARNING):
        frames = pv.load(tmp_path)
    assert sorted(warnings_of(caplog)) == [
        f"{tmp_path / 'ProvisioningLogs (1).csv'}: its ProvisioningSteps file was not found; "
        "its events load without them",
        f"{tmp_path / 'ProvisioningLogs.csv'}: its ModifiedProperties file was not found; "
        "its events load without them",
    ]
    assert counts(frames)["events"] == FULL["events"]  # each event once, from one copy


def test_a_main_file_named_alone_reads_the_companions_beside_it(tmp_path, caplog, runner):
    download = tmp_path / "dl"
    for source in (MAIN, STEPS, PROPS):
        copy(source, download / source.name)
    with caplog.at_level(logging.WARNING):
        alone = pv.load(download / "ProvisioningLogs.csv")
    assert rows(alone) == rows(pv.load(download)) == BASELINE
    assert alone.sources == [str(download / "ProvisioningLogs.csv")]
    assert warnings_of(caplog) == []
    assert rows(pv.load([download / "ProvisioningLogs.csv", download / PROPS.name])) == BASELINE

    from provlytics.cli import main

    out = str(tmp_path / "out")
    result = runner.invoke(main, ["load", str(download / "ProvisioningLogs.csv"), "--out", out])
    assert result.exit_code == 0, result.output
    assert rows(pv.read_parquet(out)) == BASELINE


def test_a_main_file_named_alone_takes_only_its_own_download(tmp_path):
    """Beside it, another download (other change IDs): its companions are not taken."""
    with MAIN.open(encoding="utf-8-sig", newline="") as handle:
        changes = [row["Change Id"] for row in csv.DictReader(handle)]
    first, second = set(changes[:30]), set(changes[30:])
    for source, kind in ((MAIN, ""), (STEPS, "_ProvisioningSteps"), (PROPS, "_ModifiedProperties")):
        _split(source, first, tmp_path / f"ProvisioningLogs{kind}.csv")
        _split(source, second, tmp_path / f"ProvisioningLogs{kind} (1).csv")
    for name, keep in (("ProvisioningLogs.csv", first), ("ProvisioningLogs (1).csv", second)):
        frames = pv.load(tmp_path / name)
        assert set(frames.events["change_id"]) == keep
        ids = set(frames.events["event_id"])
        for table in ("steps", "modified_properties"):
            assert rows(frames)[table] == [r for r in BASELINE[table] if r[0] in ids] != []


def test_a_companion_named_alone_says_what_to_load(tmp_path):
    for source in (MAIN, STEPS, PROPS):
        copy(source, tmp_path / source.name)
    steps = tmp_path / STEPS.name
    with pytest.raises(InputError) as info:
        pv.load(steps)
    assert str(info.value) == (
        f"{steps}: a portal companion file without its ProvisioningLogs file: load "
        f"{tmp_path / 'ProvisioningLogs.csv'} (its companions beside it are read with it) "
        "or the folder"
    )


@pytest.mark.parametrize("copy_number", ["", " (1)"])
def test_a_companion_named_alone_suggests_its_own_main_file_first(tmp_path, copy_number):
    for number in ("", " (1)", " (2)"):
        for source, kind in ((MAIN, ""), (STEPS, "_ProvisioningSteps")):
            copy(source, tmp_path / f"ProvisioningLogs{kind}{number}.csv")
    steps = tmp_path / f"ProvisioningLogs_ProvisioningSteps{copy_number}.csv"
    with pytest.raises(InputError) as info:
        pv.load(steps)
    suggested = str(info.value).split(": load ", 1)[1]
    assert suggested.startswith(f"{tmp_path / f'ProvisioningLogs{copy_number}.csv'} or ")


def _edited(source: Path, target: Path, row: int, header: str, value: str, blank: bool) -> Path:
    """`source` copied with one cell of data row `row` (1 = the first) changed; `blank`: a
    blank line at the end (the `csv` module then reads the file, not Arrow)."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    table[row][table[0].index(header)] = value
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(table)
        handle.write("\r\n" if blank else "")
    return target


@pytest.mark.parametrize("blank", [False, True], ids=["arrow", "csv_module"])
def test_a_bad_companion_row_is_named_by_its_own_file_and_line(tmp_path, blank):
    for source in (MAIN, PROPS):
        copy(source, tmp_path / source.name)
    steps = _edited(STEPS, tmp_path / STEPS.name, 100, "Step Number", "y", blank)
    with pytest.raises(InputError) as info:
        pv.load(tmp_path)
    assert str(info.value) == f"{steps}:101: 'Step Number': not a whole number: 'y'"
    frames = pv.load(tmp_path, on_error="collect")
    assert frames.rejects["origin"].tolist() == [f"{steps}:101"]
    assert counts(frames)["events"] == FULL["events"] - 1
    copy(STEPS, steps)
    props = _edited(PROPS, tmp_path / PROPS.name, 50, "Change Id", "no-such-change", blank)
    with pytest.raises(InputError) as info:
        pv.load(tmp_path)
    assert str(info.value) == (
        f"{props}:51: 1 rows for change ID 'no-such-change', which {tmp_path / MAIN.name} lacks"
    )


def test_a_second_steps_file_for_one_main_file_is_refused(tmp_path):
    copy(MAIN, tmp_path / "ProvisioningLogs.csv")
    copy(STEPS, tmp_path / "ProvisioningLogs_ProvisioningSteps.csv")
    second = copy(STEPS, tmp_path / "ProvisioningLogs_ProvisioningSteps (1).csv")
    with pytest.raises(InputError) as info:
        pv.load(tmp_path)
    assert str(info.value).startswith(f"{second}: a second steps file for ")
    frames = pv.load(tmp_path, on_error="collect")
    assert frames.rejects["origin"].tolist() == [str(second)]
    assert counts(frames) == {**FULL, "modified_properties": 0}


def test_a_companion_without_any_main_file_is_an_error_or_a_reject(tmp_path):
    stray = copy(STEPS, tmp_path / "old" / "ProvisioningLogs_ProvisioningSteps.csv")
    copy(GRAPH_V1, tmp_path / "page.json")
    with pytest.raises(InputError, match="companion file without its ProvisioningLogs file"):
        pv.load(tmp_path)
    frames = pv.load(tmp_path, on_error="collect")
    assert frames.rejects["origin"].tolist() == [str(stray)]
    assert frames.counts()["events"] == 500


def _zip(path: Path, members: dict[str, Path | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            archive.writestr(name, data)
    return path


def test_zip_archives_are_read_member_by_member(tmp_path):
    archive = _zip(
        tmp_path / "download.zip",
        {
            "logs/ProvisioningLogs.csv": MAIN,
            "logs/ProvisioningLogs_ProvisioningSteps.csv": STEPS,
            "logs/ProvisioningLogs_ModifiedProperties.csv": PROPS,
            "page.json": GRAPH_V1,
            "notes.txt": b"not data",
            "__MACOSX/logs/._ProvisioningLogs.csv": b"\x00\x05",
        },
    )
    frames = pv.load(archive)
    page = {"events": 500, "steps": 1931, "modified_properties": 1249, "errors": 70}
    assert counts(frames) == {name: FULL[name] + page.get(name, 0) for name in FULL}
    assert frames.sources == [f"{archive}!logs/ProvisioningLogs.csv", f"{archive}!page.json"]
    assert set(frames.events["dialect"]) == {"portal", "graph.v1"}


def test_a_bad_member_is_named_archive_bang_member(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"good.json": GRAPH_V1, "bad.json": b'{"value": ['})
    with pytest.raises(InputError) as info:
        pv.load(archive)
    assert str(info.value).startswith(f"{archive}!bad.json: not valid JSON")
    frames = pv.load(archive, on_error="collect")
    assert frames.rejects["origin"].tolist() == [f"{archive}!bad.json"]
    assert frames.counts()["events"] == pv.load(GRAPH_V1).counts()["events"]


def test_gzipped_members_of_an_archive(tmp_path):
    import gzip

    archive = _zip(tmp_path / "a.zip", {"page.json.gz": gzip.compress(GRAPH_V1.read_bytes())})
    assert counts(pv.load(archive)) == counts(pv.load(GRAPH_V1))


def test_globs_in_load(tmp_path):
    exports = tmp_path / "exports"
    copy(GRAPH_V1, exports / "a.json")
    copy(MAIN, exports / "ProvisioningLogs.csv")
    frames = pv.load(str(exports / "*.json"))
    assert frames.sources == [str(exports / "a.json")]
    assert counts(frames) == counts(pv.load(GRAPH_V1))
    nested = pv.load(str(tmp_path / "**" / "*.csv"))
    assert counts(nested) == {**FULL, "steps": 0, "modified_properties": 0}
    with pytest.raises(InputError, match=r"\*\.jsonl: no file matches this pattern"):
        pv.load(str(exports / "*.jsonl"))


def test_quoted_globs_on_the_command_line(tmp_path):
    exports = tmp_path / "exports"
    copy(GRAPH_V1, exports / "a.json")
    copy(GRAPH_V1, exports / "b.json")
    command = "from provlytics.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", command, "load", "exports/*.json", "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(tmp_path / "out")
    assert manifest["sources"] == ["a.json", "b.json"]
    assert result.stdout.startswith("Loaded into out: events +")


def test_csv_sniffing_reads_only_the_header(tmp_path):
    """A large main file is told by its first line (pairing does not read it whole)."""
    from provlytics.sources.portal_pairs import MAIN as MAIN_ROLE
    from provlytics.sources.portal_pairs import _sniff
    from provlytics.sources.reading import InputFile

    text = MAIN.read_text(encoding="utf-8-sig").splitlines()[0] + "\n" + 'x,"unclosed\n' * 3
    path = tmp_path / "ProvisioningLogs.csv"
    path.write_bytes(io.BytesIO(text.encode()).getvalue())
    assert _sniff(InputFile.at(path))[0] == MAIN_ROLE


def test_an_encrypted_member_says_to_extract_it(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"p.json": GRAPH_V1})
    data = bytearray(archive.read_bytes())
    data[data.find(b"PK\x03\x04") + 6] |= 1  # the "encrypted" flag, local and central header
    data[data.find(b"PK\x01\x02") + 8] |= 1
    archive.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        pv.load(archive)
    assert str(info.value) == (
        f"{archive}!p.json: not a readable file (File 'p.json' is encrypted, password required "
        "for extraction); extract it and load the extracted files"
    )


def rewrite(path: Path, change) -> None:
    """Rewrite a portal CSV file (UTF-8 with a BOM, as the portal writes it) after
    `change(rows)`, rows[0] being the header row (on line 1)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_a_bad_cell_of_a_companion_is_warned_at_its_own_file_and_line(tmp_path, caplog):
    """A step's cell given up is named as errors name it: the steps file's line and header,
    whatever order the steps come in (the normalizer puts them in Step Number order)."""
    for source in (MAIN, STEPS, PROPS):
        copy(source, tmp_path / source.name)
    steps = tmp_path / STEPS.name
    header: dict[str, int] = {}

    def swap_and_spoil(rows: list[list[str]]) -> None:
        header.update({name: i for i, name in enumerate(rows[0])})
        rows[1], rows[3] = rows[3], rows[1]  # one event's steps 3, 2, 1 on lines 2, 3, 4
        assert [rows[n][header["Step Number"]] for n in (1, 2, 3)] == ["3", "2", "1"]
        rows[1][header["Status"]] = "Bogus"  # step 3, on line 2
        rows[3][header["Type"]] = "Imports"  # step 1, on line 4

    rewrite(steps, swap_and_spoil)

    def spoil_main(rows: list[list[str]]) -> None:
        rows[5][rows[0].index("Action")] = "Frobnicate"  # the 5th event, on line 6

    rewrite(tmp_path / MAIN.name, spoil_main)
    with caplog.at_level(logging.WARNING):
        frames = pv.load(tmp_path)
    kept = "the field is null and its value kept in `extra` (1 record(s))"
    assert sorted(warnings_of(caplog)) == sorted([
        f"{steps}:2: 'Status': not a known enumeration member: 'Bogus'; {kept}",
        f"{steps}:4: 'Type': not a known enumeration member: 'Imports'; {kept}",
        f"{tmp_path / MAIN.name}:6: record 5: 'Action': not a known enumeration member: "
        f"'Frobnicate'; {kept}",
    ])  # fmt: skip
    assert counts(frames) == FULL
