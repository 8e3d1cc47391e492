"""report.html in a real browser: headless Chromium (Debian's `chromium`), over the DevTools pipe.

`make test` installs chromium when it is missing and runs as root (as `.ci/run` does). Without
it the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from chromium import CHROMIUM, Chromium
from reportdata import HOSTILE, SAMPLES, write_hostile_page

import provlytics as pv
from provlytics.report import SECTION_IDS, write_report

SECTIONS_JS = "[...document.querySelectorAll('main > section')].map(s => [s.id, s.querySelector('h2') ? s.querySelector('h2').textContent : null])"  # noqa: E501
IMAGES_JS = "[...document.images].map(i => i.complete && i.naturalWidth > 0)"
OVERFLOW_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (package `chromium`; `make test` installs it as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with Chromium(tmp_path_factory.mktemp("chromium-profile")) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(pv.load(SAMPLES), tmp_path_factory.mktemp("report"), parquet=False)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = write_hostile_page(tmp_path_factory.mktemp("hostile-input"))
    return write_report(pv.load(page), tmp_path_factory.mktemp("hostile"), parquet=False)


def _foreign_requests(urls: list[str]) -> list[str]:
    return [url[:80] for url in urls if not url.startswith(("file:", "data:"))]


def _pixels(png: bytes) -> np.ndarray:
    return matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]


def _assert_not_blank(png: bytes) -> None:
    pixels = _pixels(png)
    assert pixels.std() > 0.05
    not_white = (pixels < 0.9).any(axis=-1).mean()
    assert not_white > 0.02


def test_every_section_renders_without_console_errors(browser, sample_report):
    browser.open(sample_report.as_uri())
    sections = browser.evaluate(SECTIONS_JS)
    assert [s[0] for s in sections] == list(SECTION_IDS)
    assert all(s[1] for s in sections)
    assert browser.errors == []
    assert _foreign_requests(browser.requests) == []
    images = browser.evaluate(IMAGES_JS)
    assert len(images) == 7  # one chart per pv.plots function
    assert all(images)
    _assert_not_blank(browser.screenshot())


def test_narrow_window_has_no_page_wide_scrolling(browser, sample_report):
    browser.open(sample_report.as_uri(), width=380, height=800, mobile=True)
    assert browser.evaluate(OVERFLOW_JS) <= 0
    widest = browser.evaluate("Math.max(...[...document.images].map(i => i.clientWidth))")
    assert 0 < widest <= 380
    assert browser.errors == []
    _assert_not_blank(browser.screenshot())


def test_hostile_names_are_shown_as_text(browser, hostile_report):
    browser.open(hostile_report.as_uri())
    assert browser.evaluate("document.querySelectorAll('script').length") == 0
    images = browser.evaluate("[...document.images].map(i => i.src.slice(0, 22))")
    assert set(images) == {"data:image/png;base64,"}
    assert HOSTILE in browser.evaluate("document.body.innerText")
    assert browser.errors == []
    assert _foreign_requests(browser.requests) == []


TOP_ERRORS_JS = """(() => {
  const wrapper = document.querySelector('#top-errors table').parentElement;
  const heads = wrapper.querySelectorAll('thead th');
  const last = heads[heads.length - 1];
  const first = wrapper.querySelector('tbody tr');
  wrapper.scrollTo(wrapper.scrollWidth, 200);
  const box = wrapper.getBoundingClientRect();
  const cell = last.getBoundingClientRect();
  return {
    last: last.textContent,
    wrapperHeight: box.height,
    viewport: window.innerHeight,
    wide: wrapper.scrollWidth > wrapper.clientWidth,
    lastInside: cell.left >= box.left - 1 && cell.right <= box.right + 1,
    headerAtTop: Math.abs(cell.top - box.top) <= 1,
    firstRowHeight: first.getBoundingClientRect().height,
  };
})()"""


def test_wide_tables_scroll_in_a_box_that_fits_the_window(browser, sample_report):
    browser.open(sample_report.as_uri(), width=1200, height=900)
    top = browser.evaluate(TOP_ERRORS_JS)
    assert top["last"] == "example reason"
    # the box (and its horizontal scrollbar) fits in the window, so the hidden columns are a
    # scroll away; scrolled to the right and down, the last header is in view, stuck on top
    assert top["wrapperHeight"] <= 0.8 * top["viewport"]
    assert top["wide"]
    assert top["lastInside"]
    assert top["headerAtTop"]
    assert top["firstRowHeight"] < 100  # long reasons wrap in a wide enough column


NARROW_JS = """(() => {
  const wrapper = document.querySelector('#top-errors table').parentElement;
  const box = wrapper.getBoundingClientRect();
  const cells = [...wrapper.querySelector('tbody tr').querySelectorAll('td')];
  return {
    fits: wrapper.scrollWidth <= wrapper.clientWidth,
    labels: cells.map(c => getComputedStyle(c, '::before').content),
    inside: cells.every(c => {
      const r = c.getBoundingClientRect();
      return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1;
    }),
  };
})()"""


def test_narrow_window_shows_every_column_of_a_row_as_labelled_lines(browser, sample_report):
    browser.open(sample_report.as_uri(), width=400, height=800, mobile=True)
    narrow = browser.evaluate(NARROW_JS)
    assert narrow["fits"]
    assert narrow["inside"]
    assert narrow["labels"][0] == '"status: "'
    assert narrow["labels"][-1] == '"example reason: "'
