"""The store's manifest lists each file once across loads, however each load names it
(relative to its own common folder), and two files of one name apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import payloads as p
from test_store_writes import record

import provlytics as pv
from provlytics.manifest_sources import named_sources


def sources_of(store: Path) -> tuple[list[str], dict[str, str]]:
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    return manifest["sources"], manifest.get("source_ids", {})


def samples(tmp_path: Path) -> Path:
    """samples/graph-v1/x.json and samples/other/y.json, two events each."""
    folder = tmp_path / "samples"
    p.write_json(folder / "graph-v1" / "x.json", p.graph_page(record(1, day=15), record(2, day=15)))
    p.write_json(folder / "other" / "y.json", p.graph_page(record(3, day=16), record(4, day=16)))
    return folder


def load(paths: list[Path], store: Path) -> None:
    pv.load_to_parquet(paths, store, progress=False)


def test_a_file_loaded_from_its_folder_and_alone_is_listed_once(tmp_path):
    folder, store = samples(tmp_path), tmp_path / "store"
    load([folder], store)
    load([folder / "graph-v1" / "x.json"], store)  # named "x.json" by this load
    names, ids = sources_of(store)
    assert names == ["graph-v1/x.json", "other/y.json"]
    assert set(ids) == set(names) and len(set(ids.values())) == 2
    assert pv.read_parquet(store).counts()["events"] == 4


def test_a_file_named_twice_in_one_load_is_listed_once(tmp_path):
    folder, store = samples(tmp_path), tmp_path / "store"
    load([folder, folder / "graph-v1" / "x.json", folder / "other" / ".." / "other"], store)
    assert sources_of(store)[0] == ["graph-v1/x.json", "other/y.json"]


def test_a_file_loaded_alone_then_with_its_folder_keeps_its_first_name(tmp_path):
    folder, store = samples(tmp_path), tmp_path / "store"
    load([folder / "graph-v1" / "x.json"], store)
    load([folder], store)
    assert sources_of(store)[0] == ["x.json", "other/y.json"]


def test_in_memory_frames_written_into_the_store_name_a_listed_file_as_listed(tmp_path):
    folder, store = samples(tmp_path), tmp_path / "store"
    load([folder], store)
    pv.load(folder / "other" / "y.json").to_parquet(store)
    assert sources_of(store)[0] == ["graph-v1/x.json", "other/y.json"]


def test_two_files_of_one_name_loaded_alone_are_two_entries(tmp_path):
    store = tmp_path / "store"
    for day, folder in ((15, "monday"), (16, "tuesday")):
        p.write_json(tmp_path / folder / "page.json", p.graph_page(record(day, day=day)))
        load([tmp_path / folder], store)
    load([tmp_path / "monday" / "page.json"], store)  # the first one again
    names, ids = sources_of(store)
    assert names == ["page.json", "tuesday/page.json"]
    assert len(set(ids.values())) == 2


def test_a_manifest_written_before_ids_is_matched_by_the_end_of_the_path(tmp_path):
    folder, store = samples(tmp_path), tmp_path / "store"
    load([folder], store)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    del manifest["source_ids"]  # as provlytics wrote it before
    (store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    load([folder / "graph-v1" / "x.json"], store)
    names, ids = sources_of(store)
    assert names == ["graph-v1/x.json", "other/y.json"]
    assert list(ids) == ["graph-v1/x.json"]


def test_a_plain_dataset_merged_into_lists_a_file_once(tmp_path):
    folder = samples(tmp_path)
    snapshot = pv.load(folder).to_parquet(tmp_path / "plain")
    pv.load(folder / "graph-v1" / "x.json").to_parquet(snapshot)  # merged as plain Parquet
    assert sources_of(snapshot)[0] == ["graph-v1/x.json", "other/y.json"]


def test_ids_name_files_by_where_they_are_not_by_how_they_are_spelled(tmp_path, monkeypatch):
    folder = samples(tmp_path)
    monkeypatch.chdir(tmp_path)
    spelled = named_sources(["samples/graph-v1/x.json", "samples/other/../graph-v1/x.json"])
    assert spelled.names == ["x.json", "x.json"] and len(set(spelled.ids.values())) == 1
    shutil.copy(folder / "graph-v1" / "x.json", tmp_path / "copy.json")
    other = named_sources([str(tmp_path / "copy.json")])
    assert set(other.ids.values()).isdisjoint(spelled.ids.values())  # a copy: another file
    url = "https://graph.microsoft.com/v1.0/auditLogs/provisioning"
    assert named_sources([url]).names == [url] and not named_sources([url]).ids


def test_a_pseudonymized_dataset_keeps_no_hashes_of_paths(tmp_path):
    folder = samples(tmp_path)
    shared = (
        pv.load(folder)
        .pseudonymize("a key of sixteen bytes or more")
        .to_parquet(tmp_path / "share")
    )
    assert sources_of(shared) == (["graph-v1/x.json", "other/y.json"], {})
