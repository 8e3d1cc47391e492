"""The spool folder: atomic writes, checkpoints, resume rules and the watermark."""

from __future__ import annotations

import json

import pytest

from provlytics.errors import ConfigError, InputError
from provlytics.spool import Spool, WindowState, write_json_atomic

PARAMS = {"filter": None, "since": "7d", "top": 500, "version": "v1.0"}


def windows() -> list[WindowState]:
    return [
        WindowState(0, "2026-11-14T00:00:00Z", "2026-11-15T00:00:00Z", "f0"),
        WindowState(1, "2026-11-15T00:00:00Z", None, "f1"),
    ]


def test_atomic_write_leaves_no_temporary_file(tmp_path) -> None:
    write_json_atomic(tmp_path / "a" / "x.json", {"k": 1})
    write_json_atomic(tmp_path / "a" / "x.json", {"k": 2})
    assert json.loads((tmp_path / "a" / "x.json").read_text()) == {"k": 2}
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["x.json"]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path) -> None:
    write_json_atomic(tmp_path / "x.json", {"k": 1})
    with pytest.raises(TypeError):
        write_json_atomic(tmp_path / "x.json", {"k": object()})
    assert json.loads((tmp_path / "x.json").read_text()) == {"k": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_checkpoint_round_trips_and_an_unfinished_run_resumes(tmp_path) -> None:
    spool = Spool(tmp_path)
    run = spool.start(PARAMS, windows())
    spool.write_page(run.windows[0], 1, {"value": [{"id": "a"}], "@odata.nextLink": "n"})
    run.windows[0].pages, run.windows[0].next_link = 1, "n"
    spool.save()
    again = Spool(tmp_path).start(PARAMS, windows())
    assert again == run
    assert Spool(tmp_path).read_page(again.windows[0], 1)["value"] == [{"id": "a"}]
    assert (tmp_path / "window-000" / "page-00001.json").exists()


def test_other_parameters_are_refused_unless_not_resuming(tmp_path) -> None:
    Spool(tmp_path).start(PARAMS, windows())
    with pytest.raises(ConfigError, match=r"top: saved 500, now 999.*resume=False"):
        Spool(tmp_path).start({**PARAMS, "top": 999}, windows())
    fresh = Spool(tmp_path).start({**PARAMS, "top": 999}, windows(), resume=False)
    assert fresh.params["top"] == 999


def test_a_finished_run_is_replaced_and_its_pages_cleared(tmp_path) -> None:
    spool = Spool(tmp_path)
    run = spool.start(PARAMS, windows())
    spool.write_page(run.windows[0], 1, {"value": []})
    for window in run.windows:
        window.done = True
    spool.save()
    fresh = Spool(tmp_path).start({**PARAMS, "top": 1}, windows())
    assert not fresh.finished
    assert not (tmp_path / "window-000").exists()


def test_discard_window_forgets_pages_and_progress(tmp_path) -> None:
    spool = Spool(tmp_path)
    run = spool.start(PARAMS, windows())
    window = run.windows[1]
    spool.write_page(window, 1, {"value": []})
    window.pages, window.records, window.next_link = 1, 3, "n"
    spool.discard_window(window)
    assert (window.pages, window.records, window.next_link, window.done) == (0, 0, None, False)
    assert not (tmp_path / "window-001").exists()


def test_watermarks_are_kept_per_filter(tmp_path) -> None:
    spool = Spool(tmp_path)
    assert spool.read_watermark() is None
    spool.write_watermark("2026-11-16T00:00:00Z")
    spool.write_watermark("2026-11-10T00:00:00Z", "jobId eq 'j'")
    assert spool.read_watermark() == "2026-11-16T00:00:00Z"
    assert Spool(tmp_path).read_watermark("jobId eq 'j'") == "2026-11-10T00:00:00Z"


def test_a_missing_or_broken_page_names_the_file(tmp_path) -> None:
    spool = Spool(tmp_path)
    run = spool.start(PARAMS, windows())
    with pytest.raises(InputError, match=r"page-00001\.json"):
        spool.read_page(run.windows[0], 1)
    (tmp_path / "checkpoint.json").write_text("{broken")
    with pytest.raises(InputError, match=r"checkpoint\.json"):
        spool.read_checkpoint()
