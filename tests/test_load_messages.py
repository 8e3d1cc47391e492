"""What a load tells a user about inputs it cannot use: rejected records said once per
cause, CSV files with another separator, files of no record, `workers` and `paths` of the
wrong kind (found by a new user's trial of main at 82d686c)."""

from __future__ import annotations

import csv
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from reportdata import SAMPLES

import provlytics as pv
from provlytics.cli import main

pytestmark = pytest.mark.filterwarnings(
    "ignore:'isolated_filesystem' is deprecated:DeprecationWarning"
)

LOG_ANALYTICS_CSV = SAMPLES / "log-analytics" / "AADProvisioningLogs.csv"


def sample_rows() -> list[list[str]]:
    """The 80 records of the Log Analytics CSV sample, header first."""
    with LOG_ANALYTICS_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_csv(path: str, rows: list[list[str]], **options: str) -> None:
    encoding = options.pop("encoding", "utf-8")
    with Path(path).open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, **options).writerows(rows)


def without_time(rows: list[list[str]], count: int) -> list[list[str]]:
    """`rows` with TimeGenerated emptied in the first `count` records."""
    at = rows[0].index("TimeGenerated")
    return [rows[0]] + [
        [*r[:at], "" if i < count else r[at], *r[at + 1 :]] for i, r in enumerate(rows[1:])
    ]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_missing_column_is_said_once_for_the_file(runner, caplog):
    rows = sample_rows()
    at = rows[0].index("TimeGenerated")
    with runner.isolated_filesystem():
        write_csv("noTG.csv", [[*r[:at], *r[at + 1 :]] for r in rows])
        with caplog.at_level(logging.WARNING):
            result = runner.invoke(main, ["load", "noTG.csv", "--out", "s", "--collect-errors"])
        assert result.exit_code == 1
        assert warnings_of(caplog) == [
            "noTG.csv: every record (80) lacks 'TimeGenerated' (no such column?)"
        ]
        assert result.output == (
            "Error: noTG.csv: no provisioning data: every record and file read was rejected "
            "(80); nothing was written\n"
        )


def test_alike_rejects_name_their_field_and_are_counted_after_five(runner, caplog):
    with runner.isolated_filesystem():
        write_csv("some.csv", without_time(sample_rows(), 8))
        with caplog.at_level(logging.WARNING):
            result = runner.invoke(main, ["load", "some.csv", "--out", "s", "--collect-errors"])
        assert result.exit_code == 0, result.output
        assert warnings_of(caplog) == [
            *(
                f"rejected some.csv:{n + 1}: record {n}: 'TimeGenerated': is missing"
                for n in range(1, 6)
            ),
            "some.csv: 3 more records rejected for 'TimeGenerated': is missing",
        ]
        assert result.output.splitlines()[-1] == "8 records or files rejected (see the log above)"


def test_a_reject_in_raise_mode_names_the_same_field(runner):
    with runner.isolated_filesystem():
        write_csv("some.csv", without_time(sample_rows(), 8))
        result = runner.invoke(main, ["load", "some.csv", "--out", "s"])
        assert result.exit_code == 1
        assert result.output == "Error: some.csv:2: record 1: 'TimeGenerated': is missing\n"


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"delimiter": ";"}, "';'"),
        ({"delimiter": "\t"}, "tabs"),
        ({"delimiter": "\t", "encoding": "utf-16"}, "tabs"),  # Excel's "Unicode text"
    ],
)
def test_a_csv_separated_otherwise_than_by_commas_says_so(runner, options, said):
    with runner.isolated_filesystem():
        write_csv("excel.csv", sample_rows(), **options)
        result = runner.invoke(main, ["load", "excel.csv", "--out", "s"])
        assert result.exit_code == 1
        assert result.output == (
            f"Error: excel.csv: separated by {said}, not commas: re-export as CSV (comma "
            "delimited)\n"
        )


def test_a_small_semicolon_csv_says_so_too(runner):
    with runner.isolated_filesystem():
        Path("small.csv").write_text("a;b\n1;2\n", encoding="utf-8")
        result = runner.invoke(main, ["load", "small.csv", "--out", "s"])
        assert result.output == (
            "Error: small.csv: separated by ';', not commas: re-export as CSV (comma delimited)\n"
        )


def test_a_load_of_no_record_names_its_inputs_not_the_output(runner):
    with runner.isolated_filesystem():
        Path("in").mkdir()
        Path("in/x.csv").write_text("a,b\n", encoding="utf-8")
        result = runner.invoke(main, ["load", "in/x.csv", "--out", "s"])
        assert (result.exit_code, result.output) == (
            1,
            "Error: in/x.csv: no provisioning data: the pages read hold no provisioning log "
            "record; nothing was written\n",
        )


def test_the_collect_mode_error_names_a_file_with_its_folder_as_raise_mode_does(runner):
    with runner.isolated_filesystem():
        Path("d1").mkdir()
        Path("d1/PT1H.json").write_text("garbage{", encoding="utf-8")
        raised = runner.invoke(main, ["load", "d1", "--out", "s"])
        collected = runner.invoke(main, ["load", "d1", "--out", "s", "--collect-errors"])
        assert raised.output.startswith("Error: d1/PT1H.json: not valid JSON")
        assert collected.output == (
            "Error: d1/PT1H.json: no provisioning data: every record and file read was "
            "rejected (1); nothing was written\n"
        )


def test_a_load_of_many_files_names_five_and_counts_the_rest(runner):
    with runner.isolated_filesystem():
        for n in range(7):
            Path(f"f{n}.csv").write_text("a,b\n", encoding="utf-8")
        result = runner.invoke(main, ["load", ".", "--out", "s"])
        assert result.output == (
            "Error: f0.csv, f1.csv, f2.csv, f3.csv, f4.csv and 2 more: no provisioning data: "
            "the pages read hold no provisioning log record; nothing was written\n"
        )


WORKERS_TAKE = (
    "workers takes None (chosen from the spare cores) or a whole number >= 0 (0 or 1: read in "
    "this process); got "
)


@pytest.mark.parametrize("workers", [-1, "2", 2.5, True])
@pytest.mark.parametrize("call", ["load", "load_to_parquet"])
def test_workers_of_the_wrong_kind_is_a_config_error(tmp_path, call, workers):
    args = (
        (LOG_ANALYTICS_CSV, tmp_path / "s") if call == "load_to_parquet" else (LOG_ANALYTICS_CSV,)
    )
    with pytest.raises(pv.ConfigError) as refused:
        getattr(pv, call)(*args, workers=workers)
    assert str(refused.value) == WORKERS_TAKE + repr(workers)
    assert not (tmp_path / "s").exists()


def test_workers_zero_reads_in_this_process():
    assert pv.load(LOG_ANALYTICS_CSV, workers=0).counts()["events"] == 80


@pytest.mark.parametrize("paths", [None, 42, [None], b"x.json", {"a.json": 1}])
@pytest.mark.parametrize("call", ["load", "load_to_parquet", "load_dask"])
def test_paths_of_the_wrong_kind_is_a_config_error(tmp_path, call, paths):
    options = {} if call == "load" else {"out": tmp_path / "s"}
    load = getattr(pv, call)
    with pytest.raises(pv.ConfigError) as refused:
        load(paths, **options) if call != "load_to_parquet" else load(paths, tmp_path / "s")
    shown = repr(None if paths == [None] else paths)
    assert str(refused.value) == (
        "paths takes files, folders, .zip archives or glob patterns: a str or Path, or a list "
        f"of them; got {shown}"
    )


# -- what a Python user is told: the warnings of a load reach a script, and the CLI says each once

PORTAL = SAMPLES / "portal"
MISSING_PROPS = "its ModifiedProperties file was not found; its events load without them"
AUDIT_HEADERS = ["Date (UTC)", "Activity", "ActorType", "Target1Type", "Status"]


def copy_portal_without_properties(folder: Path) -> Path:
    """A browser's second copy of the portal download, `ProvisioningLogs (1).csv` with its
    steps file but not its modified properties file."""
    folder.mkdir(parents=True, exist_ok=True)
    main_csv = folder / "ProvisioningLogs (1).csv"
    main_csv.write_bytes((PORTAL / "ProvisioningLogs.csv").read_bytes())
    steps = folder / "ProvisioningLogs_ProvisioningSteps (1).csv"
    steps.write_bytes((PORTAL / "ProvisioningLogs_ProvisioningSteps.csv").read_bytes())
    return main_csv


def write_audit_download(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "AuditLogs_2026-12-01.csv"
    write_csv(str(path), [AUDIT_HEADERS, ["2026-12-01 10:00", "Add user", "User", "User", "ok"]])
    return path


def test_a_missing_companion_is_a_warning_in_python(tmp_path):
    main_csv = copy_portal_without_properties(tmp_path / "dl")
    with pytest.warns(pv.LoadWarning) as caught:
        frames = pv.load(main_csv)
    assert len(frames.events) > 0
    assert len(frames.modified_properties) == 0
    assert [str(w.message) for w in caught] == [f"{main_csv}: {MISSING_PROPS}"]
    assert caught[0].filename == __file__  # at the user's line, not the library's


def test_a_skipped_download_and_a_reject_are_warnings_in_python(tmp_path):
    audit = write_audit_download(tmp_path / "dl")
    write_csv(str(tmp_path / "dl" / "la.csv"), without_time(sample_rows(), 1))
    with pytest.warns(UserWarning) as caught:
        frames = pv.load(tmp_path / "dl", on_error="collect")
    said = [str(w.message) for w in caught]
    assert said[0].startswith(f"skipping {audit}: it looks like an Entra audit log export")
    assert said[1:] == [
        "1 record or file set aside, listed in frames.rejects; the first: "
        f"{tmp_path / 'dl' / 'la.csv'}:2: record 1: 'TimeGenerated': is missing"
    ]
    assert len(frames.rejects) == 1
    assert all(w.category is pv.LoadWarning for w in caught)


def test_the_command_line_says_each_load_warning_once(tmp_path):
    main_csv = copy_portal_without_properties(tmp_path / "dl")
    audit = write_audit_download(tmp_path / "dl")
    command = [sys.executable, "-c", "from provlytics.cli import main; main()", "load"]
    command.append(str(tmp_path / "dl"))
    result = subprocess.run(
        [*command, "--out", str(tmp_path / "store")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert [line for line in lines if MISSING_PROPS in line] == [
        f"WARNING provlytics.sources.portal_csv: {main_csv}: {MISSING_PROPS}"
    ]
    assert len([line for line in lines if f"skipping {audit}" in line]) == 1
    assert not any(line.startswith("Warning: ") for line in lines)
