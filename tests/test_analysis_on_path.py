"""`pv.analysis.failure_summary` over a store or snapshot path (DuckDB, out of core) gives
exactly the frames version's result on the samples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import provlytics as pv
from provlytics.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def folders(
    samples: pv.ProvisioningFrames, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("on-path")
    pv.load_to_parquet("data/samples", root / "store", progress=False)
    samples.to_parquet(root / "snapshot")
    return {"store": root / "store", "snapshot": root / "snapshot"}


@pytest.mark.parametrize("kind", ["store", "snapshot"])
@pytest.mark.parametrize(
    ("options", "rows"),
    [
        ({}, 43),
        ({"by": ["error_code"]}, 9),
        ({"status": "both"}, 53),
        ({"status": "warning", "by": ["target_system_name", "error_category"]}, 5),
    ],
)
def test_same_summary_as_the_frames(
    folders: dict[str, Path], kind: str, options: dict[str, object], rows: int
) -> None:
    frames = pv.read_parquet(folders[kind])
    expected = pv.analysis.failure_summary(frames, **options)
    got = pv.analysis.failure_summary(str(folders[kind]), **options)
    assert len(got) == rows
    pd.testing.assert_frame_equal(got, expected)


def test_top_row(folders: dict[str, Path]) -> None:
    got = pv.analysis.failure_summary(folders["store"], by=["error_code"])
    top = got.iloc[0]
    assert (top["error_code"], top["events"]) == ("EntryConflict", 44)
    assert got["events"].sum() == 252
    assert got["share"].iloc[0] == pytest.approx(44 / 2033)


def test_bad_arguments(folders: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"failure_summary\(by=...\): no column\(s\) \['code'\]"):
        pv.analysis.failure_summary(folders["store"], by=["code"])
    with pytest.raises(ConfigError, match="status must be one of"):
        pv.analysis.failure_summary(folders["store"], status="errors")
    with pytest.raises(InputError, match="not a provlytics dataset"):
        pv.analysis.failure_summary(tmp_path)
