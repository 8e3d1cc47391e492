"""The `provlytics` command line: load, demo, help; errors as one line and exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import payloads as p
import pytest
from click.testing import CliRunner
from deltalake import DeltaTable

import provlytics as pv
from provlytics.cli import main

pytestmark = pytest.mark.filterwarnings(
    "ignore:'isolated_filesystem' is deprecated:DeprecationWarning"
)


def write_good(path: str = "page.json") -> Path:
    return p.write_json(Path(path), p.graph_page(p.v1_failure_contoso(), p.v1_success_aws()))


def test_load_writes_the_dataset(runner):
    with runner.isolated_filesystem():
        write_good()
        result = runner.invoke(main, ["load", "page.json", "--out", "report"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0] == (
            "Loaded into report: events +2, steps +5, modified_properties +11, errors +1, "
            "job_status +0"
        )
        manifest = json.loads(Path("report/manifest.json").read_text(encoding="utf-8"))
        assert manifest["row_counts"]["events"] == 2
        span = manifest["time_range"]
        said = f"the folder now holds 2 distinct events, from {span['start']} to {span['end']}"
        assert result.output.splitlines()[1] == f"Read 2 records; {said}"
        again = runner.invoke(main, ["load", "page.json", "page.json", "--out", "report"])
        assert again.output.splitlines() == [
            "Loaded into report: events +2 (2 replaced), steps +5 (5 replaced), "
            "modified_properties +11 (11 replaced), errors +1 (1 replaced), job_status +0",
            f"Read 4 records; {said}",  # the store's, not read
        ]
        assert json.loads(Path("report/manifest.json").read_text(encoding="utf-8"))[
            "last_load"
        ] == {
            "events": {"written": 2, "replaced": 2},
            "steps": {"written": 5, "replaced": 5},
            "modified_properties": {"written": 11, "replaced": 11},
            "errors": {"written": 1, "replaced": 1},
            "job_status": {"written": 0, "replaced": 0},
        }
        assert pv.read_parquet("report").counts()["errors"] == 1
        assert Path("report/events/activity_date=2019-06-24").is_dir()


SAMPLES = Path(__file__).parents[1] / "data" / "samples"


def test_load_says_what_it_added_and_replaced_not_the_stores_totals(runner):
    first = [str(SAMPLES / "graph-v1" / "provisioning-page-001.json")]
    first.append(str(SAMPLES / "jobs" / "jobs-14aa4e71-9d3c-4dec-80a6-1f933d6c51e3.json"))
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["load", *first, "--out", "s"]).output.splitlines()[0] == (
            "Loaded into s: events +500, steps +1931, modified_properties +1249, errors +70, "
            "job_status +1"
        )
        folders = [str(SAMPLES / "graph-v1"), str(SAMPLES / "jobs")]
        result = runner.invoke(main, ["load", *folders, "--out", "s"])
        assert result.output.splitlines()[0] == (
            "Loaded into s: events +1050 (500 replaced), steps +4060 (1931 replaced), "
            "modified_properties +2605 (1249 replaced), errors +149 (70 replaced), "
            "job_status +6 (1 replaced)"
        )
        assert pv.read_parquet("s").counts() == {
            "events": 1050, "steps": 4060, "modified_properties": 2605, "errors": 149,
            "job_status": 6,
        }  # fmt: skip


def test_worker_processes_count_the_same(tmp_path):  # in a folder that outlives the load
    pv.load_to_parquet([SAMPLES / "graph-v1" / "provisioning-page-001.json"], tmp_path / "w")
    folders = [SAMPLES / "graph-v1", SAMPLES / "jobs"]
    by_workers = pv.load_to_parquet(folders, tmp_path / "w", workers=2)["last_load"]
    assert by_workers == {
        "events": {"written": 1050, "replaced": 500},
        "steps": {"written": 4060, "replaced": 1931},
        "modified_properties": {"written": 2605, "replaced": 1249},
        "errors": {"written": 149, "replaced": 70},
        "job_status": {"written": 6, "replaced": 0},
    }


def test_load_into_a_plain_dataset_says_it_merged_and_what_it_holds(runner):
    page = str(SAMPLES / "graph-v1" / "provisioning-page-001.json")
    with runner.isolated_filesystem():
        assert runner.invoke(main, ["report", page, "--out", "plain"]).exit_code == 0
        result = runner.invoke(main, ["load", str(SAMPLES / "graph-v1"), "--out", "plain"])
        assert result.output.splitlines()[0] == (
            "Merged into plain, a plain Parquet dataset, now: events 1050, steps 4060, "
            "modified_properties 2605, errors 149, job_status 0"
        )


def test_load_accepts_several_paths_and_folders(runner):
    with runner.isolated_filesystem():
        write_good("a/page.json")
        p.write_json(Path("b/on-demand.json"), p.on_demand_skipped())
        p.write_lines(Path("c.ndjson"), [p.v1_live_scim_group()])
        result = runner.invoke(main, ["load", "a", "b", "c.ndjson", "--out", "report"])
        assert result.exit_code == 0, result.output
        assert pv.read_parquet("report").counts()["events"] == 4


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"value": [{"id": ', "bad.json: not valid JSON"),
        (json.dumps(p.GRAPH_ERROR_BODY), "bad.json: a Graph error response"),
        ("", "bad.json: the file is empty"),
    ],
)
def test_bad_file_exits_1_with_one_line_naming_it(runner, content, expected):
    with runner.isolated_filesystem():
        write_good()
        Path("bad.json").write_text(content, encoding="utf-8")
        result = runner.invoke(main, ["load", "page.json", "bad.json", "--out", "report"])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("Error: ")
        assert expected in lines[0]
        assert "Traceback" not in result.output
        assert not Path("report/manifest.json").exists()


def test_bad_record_exits_1_naming_record_and_field(runner):
    with runner.isolated_filesystem():
        bad = p.v1_failure_contoso()
        bad["activityDateTime"] = ["not", "a", "time"]  # (an odd optional field costs the field)
        p.write_json(Path("page.json"), p.graph_page(p.v1_success_aws(), bad))
        result = runner.invoke(main, ["load", "page.json", "--out", "report"])
        assert result.exit_code == 1
        assert result.output == (
            "Error: page.json: record 2: 'activityDateTime': expected an ISO timestamp, "
            "got ['not', 'a', 'time']\n"
        )


def test_collect_errors_loads_the_rest(runner):
    with runner.isolated_filesystem():
        bad = p.v1_failure_contoso()
        del bad["id"]
        p.write_json(
            Path("page.json"), p.graph_page(p.v1_success_aws(), bad, p.v1_live_scim_group())
        )
        result = runner.invoke(main, ["load", "page.json", "--collect-errors", "--out", "report"])
        assert result.exit_code == 0, result.output
        assert "1 record or file rejected (see the log above)" in result.output
        manifest = json.loads(Path("report/manifest.json").read_text(encoding="utf-8"))
        assert (manifest["row_counts"]["events"], manifest["records_rejected"]) == (2, 1)


def test_load_requires_out(runner):
    with runner.isolated_filesystem():
        write_good()
        result = runner.invoke(main, ["load", "page.json"])
        assert result.exit_code == 2
        assert "--out" in result.output


def test_load_of_missing_path_is_a_usage_error(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["load", "nowhere.json", "--out", "report"])
        assert result.exit_code == 2
        assert "nowhere.json" in result.output


def test_demo_prints_a_failure_summary(runner):
    with runner.isolated_filesystem():
        write_good("samples/graph/page.json")
        p.write_json(Path("samples/beta.json"), p.graph_page(p.beta_legacy_box(), version="beta"))
        p.write_json(Path("samples/jobs.json"), p.job_list(p.job_quarantined_aws()))
        result = runner.invoke(main, ["demo", "--samples", "samples", "--out", "report"])
        assert result.exit_code == 0, result.output
        assert "Top failures (1 failed events; 0 warned events not counted):" in result.output
        summary = result.output.split("Top failures", 1)[1].splitlines()[1:]
        assert summary[0].split() == [
            "error_code",
            "target_system_name",
            "action",
            "events",
            "identities",
        ]
        # The Box (beta) and Contoso (v1.0) doc examples share one event id: the file read
        # last (samples/graph/page.json sorts after samples/beta.json) wins.
        assert summary[1].split() == ["ContosoEntryConflict", "Contoso", "create", "1", "1"]
        assert Path("report/manifest.json").is_file()


def test_demo_on_the_bundled_samples(runner):
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["demo", "--out", "report", "--top", "3"])
        assert result.exit_code == 0, result.output
        assert "Top failures (252 failed events; 49 warned events not counted):" in result.output
        summary = result.output.split("Top failures", 1)[1].split("\n\n", 1)[0]
        assert len(summary.strip().splitlines()) == 1 + 1 + 3
        assert result.output.endswith("\nReport: report/report.html\n")


def test_demo_counts_failures_not_warnings(runner):
    """UnableToResolveReferenceAttributeValue / Active Directory / update is 7 failures and
    8 warnings in the samples: the summary shows 7."""
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["demo", "--out", "report", "--top", "50"])
        assert result.exit_code == 0, result.output
        summary = result.output.split("Top failures", 1)[1].split("\n\nReport:", 1)[0]
        rows = [line.split() for line in summary.splitlines()]
        code = "UnableToResolveReferenceAttributeValue"
        assert [code, "Active", "Directory", "update", "7", "7"] in rows
        assert sum(int(r[-2]) for r in rows[2:] if r) == 252


@pytest.mark.parametrize("command", [[], ["load"], ["demo"]])
def test_every_command_has_help(runner, command):
    result = runner.invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")
    assert "--help" in result.output


def test_every_registered_command_has_a_help_text():
    for name, command in main.commands.items():
        assert command.help, name
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help.splitlines()[0] in result.output


@pytest.mark.parametrize(
    ("collect", "message"),
    [
        (
            [],
            "in: no provisioning data: 2 files, none holds provisioning records "
            "(first: other.json: record 1, its fields: a)",
        ),
        (
            ["--collect-errors"],
            "in/other.json, in/package.json: no provisioning data: every record and file read "
            "was rejected (2); nothing was written",
        ),
    ],
)
def test_only_unrelated_json_writes_nothing_with_or_without_collect(runner, collect, message):
    with runner.isolated_filesystem():
        Path("in").mkdir()
        Path("in/package.json").write_text('{"name": "x", "version": "1"}', encoding="utf-8")
        Path("in/other.json").write_text('{"a": 1}', encoding="utf-8")
        result = runner.invoke(main, ["load", "in", "--out", "store", *collect])
        assert result.exit_code == 1, result.output
        assert result.output == f"Error: {message}\n"
        assert not Path("store").exists()  # not even the lock file of a store never written


def test_a_usage_error_is_one_line_with_exit_code_2(runner):
    result = runner.invoke(main, ["load", "--bogus"])
    assert result.exit_code == 2
    assert result.output == (
        "Error: No such option '--bogus'. (Did you mean one of: '--out', '--verbose'?)\n"
    )


def unrelated_folder(folder: Path) -> None:
    """package.json, other.json and a JSON lines file: three files of no provisioning data."""
    p.write_json(folder / "package.json", {"name": "x", "version": "1"})
    p.write_json(folder / "other.json", [{"b": 1, "a": 2}])
    p.write_lines(folder / "notes.jsonl", [{"note": "hi"}, {"note": "again"}])


NO_DATA = (
    "no provisioning data: 3 files, none holds provisioning records "
    "(first: notes.jsonl:1: record 1, its fields: note)"
)


def test_a_folder_of_unrelated_json_has_no_provisioning_data(runner, tmp_path):
    unrelated_folder(tmp_path / "in")
    with pytest.raises(pv.UnknownDialectError) as caught:
        pv.load(tmp_path / "in")
    assert str(caught.value) == f"{tmp_path / 'in'}: {NO_DATA}"
    assert str(caught.value.__cause__) == (  # the record the load stopped at
        f"{tmp_path / 'in' / 'notes.jsonl'}:1: record 1: not a provisioning record in any "
        "known shape (its fields: note)"
    )
    with runner.isolated_filesystem():
        unrelated_folder(Path("in"))
        result = runner.invoke(main, ["load", "in", "--out", "store"])
        assert (result.exit_code, result.output) == (1, f"Error: in: {NO_DATA}\n")
        assert not Path("store").exists()


def test_worker_processes_say_the_same(tmp_path):
    unrelated_folder(tmp_path)
    with pytest.raises(pv.UnknownDialectError, match=r": no provisioning data: 3 files,"):
        pv.load(tmp_path, workers=2)


def test_an_unrelated_file_among_provisioning_files_is_named(runner):
    with runner.isolated_filesystem():
        write_good("in/page.json")
        p.write_lines(Path("in/live.ndjson"), [p.v1_live_scim_group()])
        p.write_json(Path("in/another.json"), {"name": "x"})
        result = runner.invoke(main, ["load", "in", "--out", "store"])
        assert (result.exit_code, result.output) == (
            1,
            "Error: in/another.json: record 1: not a provisioning record in any known shape "
            "(its fields: name)\n",
        )
        assert not Path("store").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("z.json", json.dumps(p.graph_page({"activityDateTime": "yesterday"}))),  # a bad time
        ("z.json", json.dumps(p.job_list(p.job_created_aws()))),  # jobs
    ],
)
def test_anything_but_unknown_records_keeps_the_first_error(runner, name, content):
    with runner.isolated_filesystem():
        p.write_json(Path("in/a.json"), {"name": "x"})
        Path("in", name).write_text(content, encoding="utf-8")
        result = runner.invoke(main, ["load", "in", "--out", "store"])
        assert (result.exit_code, result.output) == (
            1,
            "Error: in/a.json: record 1: not a provisioning record in any known shape "
            "(its fields: name)\n",
        )


UNREADABLE = {
    "empty.json": "",
    "notes.txt.json": "hello",
    "truncated.json": '{"value": [{"id": ',
}
NOT_JSON = "not valid JSON, truncated or malformed"


def test_unrelated_json_with_unreadable_files_is_no_provisioning_data_naming_them(runner):
    with runner.isolated_filesystem():
        for name, text in UNREADABLE.items():
            Path("in", name).parent.mkdir(exist_ok=True)
            Path("in", name).write_text(text, encoding="utf-8")
        p.write_json(Path("in/package.json"), {"name": "x", "version": "1"})
        result = runner.invoke(main, ["load", "in", "--out", "store"])
        report = runner.invoke(main, ["report", "in", "--out", "out"])
        assert not Path("store").exists() and not Path("out").exists()
    said = (
        "Error: in: no provisioning data: 4 files, none of those read holds provisioning "
        "records (first: package.json: record 1, its fields: name, version); 3 could not be "
        f"read: empty.json (the file is empty), notes.txt.json ({NOT_JSON} (unexpected "
        "character, expected a JSON value: line 1 column 1 (char 0))), truncated.json "
        f"({NOT_JSON} (unexpected end of data: line 1 column 19 (char 18)))\n"
    )
    assert (result.exit_code, result.output) == (1, said)
    assert (report.exit_code, report.output) == (1, said)


def test_only_unreadable_files_keep_the_first_files_error(tmp_path):
    (tmp_path / "a.json").write_text("", encoding="utf-8")  # maybe damaged provisioning data
    (tmp_path / "b.jsonl").write_text("hello\n", encoding="utf-8")
    with pytest.raises(pv.InputError) as caught:
        pv.load(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'a.json'}: the file is empty"


def test_an_unreadable_file_among_provisioning_files_is_named(runner):
    with runner.isolated_filesystem():
        write_good("in/page.json")
        Path("in/empty.json").write_text("", encoding="utf-8")
        p.write_json(Path("in/package.json"), {"name": "x"})
        result = runner.invoke(main, ["load", "in", "--out", "store"])
        assert (result.exit_code, result.output) == (1, "Error: in/empty.json: the file is empty\n")
        assert not Path("store").exists()


def test_on_demand_responses_without_events_write_nothing(runner):
    response = Path(__file__).parents[1] / "data" / "samples" / "on-demand" / "group-success.json"
    with runner.isolated_filesystem():
        result = runner.invoke(main, ["load", str(response), "--out", "store"])
        assert (result.exit_code, result.output) == (
            1,
            f"Error: {response}: no provisioning data: 1 record read, none of them an "
            "event (a provisionOnDemand response without steps, such as a group's, holds "
            "none); nothing was written\n",
        )
        assert not Path("store").exists()
        write_good()
        assert runner.invoke(main, ["load", "page.json", "--out", "store"]).exit_code == 0
        before = pv.read_parquet("store").counts()
        again = runner.invoke(main, ["load", str(response), "--out", "store"])
        assert again.exit_code == 1
        assert pv.read_parquet("store").counts() == before  # the store as it was


def test_pages_without_records_write_nothing(runner):
    with runner.isolated_filesystem():
        p.write_json(Path("empty.json"), p.graph_page())
        result = runner.invoke(main, ["load", "empty.json", "--out", "store"])
        assert (result.exit_code, result.output) == (
            1,
            "Error: empty.json: no provisioning data: the pages read hold no provisioning log "
            "record; nothing was written\n",
        )
        assert not Path("store").exists()


def test_demo_into_a_folder_holding_a_dataset_is_a_usage_error(runner):
    """The fictional samples would merge into the user's data."""
    with runner.isolated_filesystem():
        write_good()
        assert runner.invoke(main, ["load", "page.json", "--out", "mystore"]).exit_code == 0
        before = pv.read_parquet("mystore").counts()
        result = runner.invoke(main, ["demo", "--out", "mystore"])
        assert result.exit_code == 2
        assert result.output == (
            "Error: Invalid value for '--out': mystore already holds a provlytics dataset: the "
            "demo would merge the fictional samples into it; choose a new folder\n"
        )
        assert pv.read_parquet("mystore").counts() == before


def test_demo_runs_again_into_its_own_folder(runner):
    with runner.isolated_filesystem():
        write_good("samples/page.json")
        first = runner.invoke(main, ["demo", "--samples", "samples", "--out", "report"])
        assert first.exit_code == 0, first.output
        again = runner.invoke(main, ["demo", "--samples", "samples", "--out", "report"])
        assert again.exit_code == 0, again.output
        assert again.output.splitlines()[:2] == [
            "report holds this demo already: its events are replaced by the same ones (a "
            "folder holding other data is refused)",
            "Loaded into report: events +2 (2 replaced), steps +5 (5 replaced), "
            "modified_properties +11 (11 replaced), errors +1 (1 replaced), job_status +0",
        ]


def test_retention_shows_and_sets_how_long_every_table_keeps_replaced_files(runner):
    with runner.isolated_filesystem():
        write_good()
        assert runner.invoke(main, ["load", "page.json", "--out", "store"]).exit_code == 0
        shown = runner.invoke(main, ["retention", "store"])
        assert (shown.exit_code, shown.output) == (
            0,
            "store keeps what later loads replaced for 7 days: time travel reaches that far "
            "back, and always to the load before the latest\n",
        )
        changed = runner.invoke(main, ["retention", "store", "0.5"])
        assert (changed.exit_code, changed.output) == (
            0,
            "store now keeps what later loads replaced for 12 hours: time travel reaches that "
            "far back, and always to the load before the latest\n",
        )
        for name in ("events", "steps", "modified_properties", "errors", "job_status"):
            properties = DeltaTable(f"store/{name}").metadata().configuration
            assert properties["delta.deletedFileRetentionDuration"] == "interval 12 hours"
        assert "for 12 hours" in runner.invoke(main, ["retention", "store"]).output


@pytest.mark.parametrize(
    ("days", "said"),
    [
        ("-1", "Invalid value for 'DAYS': -1: give a number of days from 0 to 36500"),
        ("36500", "Invalid value for 'DAYS': 36500: give a number of days from 0 to 36500"),
        ("nan", "Invalid value for 'DAYS': nan: give a number of days from 0 to 36500"),
        (
            "30d",
            "Invalid value for 'DAYS': '30d' is not a number of days (such as 30, or 0.5 for "
            "12 hours)",
        ),
    ],
)
def test_retention_refuses_what_is_no_number_of_days(runner, days, said):
    with runner.isolated_filesystem():
        write_good()
        assert runner.invoke(main, ["load", "page.json", "--out", "store"]).exit_code == 0
        result = runner.invoke(main, ["retention", "store", days])
        assert (result.exit_code, result.output) == (2, f"Error: {said}\n")
        assert "for 7 days" in runner.invoke(main, ["retention", "store"]).output


def test_retention_says_an_unknown_option_is_one(runner):
    with runner.isolated_filesystem():
        write_good()
        assert runner.invoke(main, ["load", "page.json", "--out", "store"]).exit_code == 0
        result = runner.invoke(main, ["retention", "store", "--keep", "30"])
        assert result.exit_code == 2
        assert result.output.splitlines()[-1] == "Error: No such option '--keep'."


def test_retention_of_what_is_no_store_says_so(runner):
    with runner.isolated_filesystem():
        write_good()
        for args in (["retention", "nothing", "3"], ["retention", "page.json"]):
            result = runner.invoke(main, args)
            assert (result.exit_code, result.output) == (
                1,
                f"Error: {args[1]}: not a provlytics store (load into it first)\n",
            )
        assert runner.invoke(main, ["report", "page.json", "--out", "shared"]).exit_code == 0
        result = runner.invoke(main, ["retention", "shared", "3"])
        assert result.exit_code == 1
        assert result.output.startswith("Error: shared: a snapshot (plain Parquet, no versions)")
