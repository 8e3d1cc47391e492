"""Hostile and broken files: file-level rejects, no input at all, decompression bombs, long
lines, memory, deep nesting, undecodable file names, the CLI's user errors, owner-only output."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

import provlytics as pv
from provlytics.errors import InputError
from provlytics.parquet import read_manifest

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
PAGE = SAMPLES / "graph-v1" / "provisioning-page-001.json"
PAGE_COUNTS = {"events": 500, "steps": 1931, "modified_properties": 1249, "errors": 70}
CLI = "from provlytics.cli import main; main()"


def records() -> list[dict]:
    return json.loads(PAGE.read_text(encoding="utf-8"))["value"]


def counts(frames: pv.ProvisioningFrames) -> dict[str, int]:
    return {k: v for k, v in frames.counts().items() if k != "job_status"}


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


# --- collect mode covers files -------------------------------------------------------------


def test_truncated_and_undecodable_files_become_rejects_and_the_rest_loads(tmp_path):
    (tmp_path / "good.json").write_bytes(PAGE.read_bytes())
    truncated = gzip.compress(PAGE.read_bytes())[:5000]
    (tmp_path / "cut.json.gz").write_bytes(truncated)
    (tmp_path / "latin1.ndjson").write_bytes(b'{"id": "caf\xe9"}\n')
    (tmp_path / "latin1.csv").write_bytes(b"Change Id,Action\n1,caf\xe9\n")
    with pytest.raises(InputError, match=r"cut\.json\.gz: not a readable gzip file"):
        pv.load(tmp_path)
    frames = pv.load(tmp_path, on_error="collect")
    assert counts(frames) == PAGE_COUNTS
    rejects = frames.rejects.sort_values("origin")
    assert rejects["origin"].tolist() == [
        str(tmp_path / "cut.json.gz"),
        str(tmp_path / "latin1.csv"),
        f"{tmp_path / 'latin1.ndjson'}:1: record 1",  # a line: the file's other lines load
    ]
    reasons = rejects["reason"].tolist()
    assert ["not a readable" in reason for reason in reasons] == [True, True, False]
    assert reasons[2].startswith("not UTF-8 text ('utf-8' codec can't decode byte 0xe9")


def _damaged(data: bytes) -> bytes:
    """`data` gzipped with bytes in the middle of its deflate stream flipped (what a bad disk
    or a broken download gives: zlib's "invalid distance", not a truncated stream)."""
    packed = bytearray(gzip.compress(data))
    packed[2000:2400] = bytes(b ^ 0xFF for b in packed[2000:2400])
    with pytest.raises(zlib.error, match="invalid distance too far back"):
        gzip.decompress(packed)  # what the test is about: not a CRC error (an OSError)
    return bytes(packed)


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("page.json.gz", PAGE),
        ("logs.ndjson.gz", SAMPLES / "ndjson" / "provisioning.ndjson.gz"),
        ("logs.csv.gz", SAMPLES / "log-analytics" / "AADProvisioningLogs.csv"),
    ],
)
def test_a_damaged_gzip_file_is_named_and_set_aside(tmp_path, name, source):
    data = gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.json").write_bytes(PAGE.read_bytes())
    (tmp_path / "in" / name).write_bytes(_damaged(data))
    with pytest.raises(InputError, match=rf"{name}: not a readable"):
        pv.load(tmp_path / "in")
    frames = pv.load(tmp_path / "in", on_error="collect")
    assert counts(frames) == PAGE_COUNTS
    assert frames.rejects["origin"].tolist() == [str(tmp_path / "in" / name)]
    run = cli("load", "in", "--out", "out", "--collect-errors", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert name in run.stderr


def test_collect_errors_on_the_command_line_keeps_loading(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.json").write_bytes(PAGE.read_bytes())
    (tmp_path / "in" / "bad.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    failed = cli("load", "in", "--out", "out", cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: ") and "Traceback" not in failed.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()
    result = cli("load", "in", "--out", "out", "--collect-errors", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(tmp_path / "out")
    assert manifest["records_rejected"] == 1
    assert manifest["row_counts"]["events"] == 500


# --- no input at all -----------------------------------------------------------------------


def test_an_empty_folder_or_only_unrelated_files_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"empty: no provisioning data found"):
        pv.load(empty)
    with pytest.raises(InputError, match="no provisioning data found"):
        pv.load(empty, on_error="collect")
    (empty / "notes.txt").write_text("hello", encoding="utf-8")
    (empty / ".hidden.json").write_text("{}", encoding="utf-8")
    result = cli("load", "empty", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: empty: no provisioning data found (looked for .json, .jsonl, .ndjson, .csv "
        "files, gzipped or in .zip archives)"
    )
    assert not (tmp_path / "out").exists()


# --- bounded decompression, long lines, memory ---------------------------------------------


def _gzip_bomb(path: Path, expanded: int) -> Path:
    """A small .gz of `[` then spaces: valid-looking, `expanded` bytes once decompressed."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * 2**20
    with path.open("wb") as handle:
        handle.write(squeeze.compress(b"["))
        for _ in range(expanded // len(chunk)):
            handle.write(squeeze.compress(chunk))
        handle.write(squeeze.flush())
    return path


def test_a_gzip_bomb_stops_at_the_limit_in_flat_memory(tmp_path):
    bomb = _gzip_bomb(tmp_path / "bomb.json.gz", 512 * 2**20)
    assert bomb.stat().st_size < 2 * 2**20
    script = (
        "import resource, provlytics as pv, sys\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    pv.load(sys.argv[1])\n"
        "except pv.InputError as exc:\n"
        "    print(exc)\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(grown // 1024)\n"
    )
    grown = {}
    for limit in (32 * 2**20, 256 * 2**20):
        result = subprocess.run(
            [sys.executable, "-c", script, str(bomb)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PROVLYTICS_MAX_EXPANDED_BYTES": str(limit)},
        )
        message, grown[limit] = result.stdout.splitlines()
        assert message == (
            f"{bomb}: expands past {limit} bytes (the limit set by "
            "PROVLYTICS_MAX_EXPANDED_BYTES); raise it if this file is genuine"
        )
    # counted before it is read: memory does not grow with the limit (it did by 226 MiB)
    assert abs(int(grown[256 * 2**20]) - int(grown[32 * 2**20])) < 16


def test_a_zip_member_bomb_and_collect_mode(tmp_path, monkeypatch):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("big.ndjson", b"{}\n" + b" " * (8 * 2**20))
        zipped.writestr("page.json", PAGE.read_bytes())
    monkeypatch.setenv("PROVLYTICS_MAX_EXPANDED_BYTES", str(4 * 2**20))
    with pytest.raises(InputError, match=rf"{archive.name}!big\.ndjson: expands past 4194304"):
        pv.load(archive)
    frames = pv.load(archive, on_error="collect")
    assert counts(frames) == PAGE_COUNTS
    assert frames.rejects["origin"].tolist() == [f"{archive}!big.ndjson"]


def test_ndjson_lines_are_length_capped(tmp_path, monkeypatch):
    path = tmp_path / "lines.ndjson"
    line = json.dumps(records()[0])
    long = '{"a": "' + "x" * 5000 + '"}'
    path.write_text(f"{line}\n{long}\n{json.dumps(records()[1])}\n", encoding="utf-8")
    monkeypatch.setenv("PROVLYTICS_MAX_LINE_BYTES", str(len(line) + 10))
    with pytest.raises(InputError) as info:
        pv.load(path)
    assert str(info.value).startswith(
        f"{path}:2: record 2: a line longer than {len(line) + 10} bytes"
    )
    frames = pv.load(path, on_error="collect")
    assert frames.counts()["events"] == 2
    assert frames.rejects["origin"].tolist() == [f"{path}:2: record 2"]
    assert frames.rejects["record"].tolist() == ['{"a": "' + "x" * 193 + "..."]


def test_memory_error_never_escapes(tmp_path, monkeypatch):
    import orjson

    from provlytics.normalize import graph_v1

    def exhausted(data):
        raise MemoryError

    (tmp_path / "a.json").write_text('{"value": [{"id": 1}]}', encoding="utf-8")
    monkeypatch.setattr(orjson, "loads", exhausted)
    monkeypatch.setattr(graph_v1, "tables_from_json", lambda data: None)
    with pytest.raises(InputError, match=r"a\.json: too large to read into memory"):
        pv.load(tmp_path)
    frames = pv.load(tmp_path, on_error="collect")
    assert frames.rejects["reason"].tolist() == ["too large to read into memory"]


# --- deep nesting --------------------------------------------------------------------------


def _deep(levels: int) -> dict:
    top = inner = {}
    for _ in range(levels):
        inner["a"] = {}
        inner = inner["a"]
    return top


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_records_nested_too_deep_name_the_field(tmp_path, suffix):
    first, second = records()[:2]
    first["customThing"] = _deep(300)
    path = tmp_path / f"deep{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps([first, second]), encoding="utf-8")
    else:
        path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        pv.load(path)
    assert "'customThing.a.a.a.a.a....' is nested deeper than 254 levels" in str(info.value)
    frames = pv.load(path, on_error="collect")
    assert frames.counts()["events"] == 1
    assert frames.rejects["reason"].str.contains("customThing").all()
    assert pv.load_to_parquet(path, tmp_path / "out", on_error="collect")["records_rejected"] == 1


def test_json_text_columns_nested_too_deep_name_the_column(tmp_path):
    import csv

    source = SAMPLES / "log-analytics" / "AADProvisioningLogs.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    status = json.loads(rows[0]["ProvisioningStatusInfo"])
    rows[0]["ProvisioningStatusInfo"] = json.dumps({**status, "custom": _deep(300)})
    rows[1]["ServicePrincipal"] = json.dumps({"Id": "x", "Name": "y", "deep": _deep(300)})
    path = tmp_path / "AADProvisioningLogs.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(InputError) as info:
        pv.load(path)
    assert str(info.value) == (
        f"{path}:2: record 1: field 'ProvisioningStatusInfo.custom.a.a.a.a.a....' is nested "
        "deeper than 254 levels"
    )
    frames = pv.load(path, on_error="collect")
    assert frames.counts()["events"] == 78
    assert frames.rejects["origin"].tolist() == [f"{path}:2: record 1", f"{path}:3: record 2"]
    assert frames.rejects["reason"].str.startswith("field 'ServicePrincipal.deep").tolist() == [
        False,
        True,
    ]


# --- undecodable file names ----------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="Windows file names are always Unicode")
def test_a_file_name_that_is_not_utf8_is_shown_with_escapes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.json")
    (folder / name).write_bytes(PAGE.read_bytes())
    (folder / os.fsdecode(b"bad\xff.json")).write_text('{"value": [', encoding="utf-8")
    with pytest.raises(InputError) as info:
        pv.load(folder)
    message = str(info.value)
    assert message.startswith(f"{folder}/bad\\xff.json: not valid JSON")
    message.encode("utf-8")  # printable anywhere
    manifest = pv.load_to_parquet(folder, tmp_path / "out", on_error="collect")
    assert manifest["sources"] == ["bad\\xff.json", "caf\\xe9.json"]
    assert manifest["row_counts"]["events"] == 500
    result = cli(
        "load", os.fsencode(folder).decode("utf-8", "surrogateescape"), "--out", "o2", cwd=tmp_path
    )
    assert result.returncode == 1
    assert "bad\\xff.json: not valid JSON" in result.stderr


def test_a_manifest_that_cannot_be_written_changes_nothing(tmp_path):
    from provlytics.parquet import DatasetWriter

    out = tmp_path / "out"
    pv.load_to_parquet(PAGE, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    writer = DatasetWriter(out)
    with pytest.raises(InputError, match=r"manifest\.json: cannot be written"):
        writer.commit({"sources": ["x"], "records_read": object()})
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


# --- the command line's user errors --------------------------------------------------------


def test_user_errors_are_one_line_with_exit_codes(tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    cases = {
        ("demo", "--out", "afile"): (2, "Invalid value for '--out': afile is a file"),
        ("load", "nowhere", "--out", "o"): (2, "nowhere: no such file or folder"),
        ("load", "--bogus"): (2, "No such option '--bogus'"),
        ("load", "afile", "--out", "o"): (1, "afile: not valid JSON"),
        ("load", "*.nothing", "--out", "o"): (1, "*.nothing: no file matches this pattern"),
    }
    for args, (code, text) in cases.items():
        result = cli(*args, cwd=tmp_path)
        assert (result.returncode, "Traceback" in result.stderr) == (code, False), args
        assert text in result.stderr.splitlines()[-1], (args, result.stderr)


def test_version_and_short_help(tmp_path):
    from importlib.metadata import version

    result = cli("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (
        0,
        f"provlytics, version {version('provlytics')}\n",
    )
    result = cli("-h", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("Usage: ")
    result = cli("load", "-h", cwd=tmp_path)
    assert result.returncode == 0 and "quoted patterns" in result.stdout


# --- what is written -----------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_datasets_are_owner_only_and_name_sources_relatively(tmp_path):
    (tmp_path / "exports" / "a").mkdir(parents=True)
    (tmp_path / "exports" / "b").mkdir()
    (tmp_path / "exports" / "a" / "p.json").write_bytes(PAGE.read_bytes())
    (tmp_path / "exports" / "b" / "q.json").write_bytes(PAGE.read_bytes())
    out = tmp_path / "data" / "set"
    pv.load_to_parquet(tmp_path / "exports", out)
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(text)["sources"] == ["a/p.json", "b/q.json"]
    assert str(tmp_path) not in text
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_spool_files_are_owner_only(tmp_path):
    from provlytics.spool import write_json_atomic

    path = tmp_path / "spool" / "window-000" / "page-00001.json"
    write_json_atomic(path, {"value": []})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (tmp_path / "spool", path.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_relative_sources_keep_members_and_urls(tmp_path):
    from provlytics.manifest_sources import relative_sources

    sources = [
        str(tmp_path / "in" / "a.zip") + "!logs/x.json",
        str(tmp_path / "in" / "sub" / "y.ndjson"),
        "https://graph.microsoft.com/v1.0/auditLogs/provisioning",
    ]
    assert relative_sources(sources) == [
        "a.zip!logs/x.json",
        "sub/y.ndjson",
        "https://graph.microsoft.com/v1.0/auditLogs/provisioning",
    ]
