"""Regenerate docs/img/*.png from a real render of the notebooks (`make screenshots`).

Executes every notebook in notebooks/ (nbclient, widget state stored), exports each cell tagged
`screenshot-<name>` to HTML with nbconvert, and photographs it with headless Chromium. Where the
widget views do not render offline (the widget manager's JavaScript comes from a CDN), the
widget state is left out of the export, so that nbconvert falls back to each widget's static
`text/html` representation: the same tables and plots, without the live controls.

Usage: .venv/bin/python docs/screenshots.py [--chromium /usr/bin/chromium] [--out docs/img]
"""

from __future__ import annotations

import argparse
import copy
import logging
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "report" / "screenshots"
TAG = "screenshot-"
WIDTH = 1280
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
RENDERED = "widget-dropdown"  # a class the widget manager gives a drawn dropdown

logger = logging.getLogger("screenshots")


def main() -> int:
    """Execute, export and photograph; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = execute(path)
        nbformat.write(notebook, WORK / path.name)
        for name, cell in tagged_cells(notebook):
            html = export(notebook, cell, name, args.chromium)
            shoot(html, args.out / f"{name}.png", args.chromium)
    return 0


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook run top to bottom in its own folder, with the widget state stored."""
    logger.info("executing %s", path.relative_to(ROOT))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
    )
    client.execute()
    return notebook


def tagged_cells(notebook: nbformat.NotebookNode) -> list[tuple[str, nbformat.NotebookNode]]:
    """(name, cell) for every cell tagged `screenshot-<name>`."""
    found = []
    for cell in notebook.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith(TAG):
                found.append((tag.removeprefix(TAG), cell))
    return found


def export(
    notebook: nbformat.NotebookNode, cell: nbformat.NotebookNode, name: str, chromium: str
) -> Path:
    """One cell's output as an HTML page: the live widget view if it renders, else static."""
    single = copy.deepcopy(notebook)
    single.cells = [copy.deepcopy(cell)]
    live = write_html(single, WORK / f"{name}.live.html")
    if renders(live, chromium):
        logger.info("%s: widget view rendered", name)
        return live
    logger.info("%s: widget view did not render offline; using the static representation", name)
    single.metadata.pop("widgets", None)
    return write_html(single, WORK / f"{name}.static.html")


def write_html(notebook: nbformat.NotebookNode, target: Path) -> Path:
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    target.write_text(body, encoding="utf-8")
    return target


def renders(page: Path, chromium: str) -> bool:
    """True when Chromium, given a few seconds, draws the page's widget views."""
    with tempfile.TemporaryDirectory() as profile:
        command = [
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=8000",
            "--dump-dom",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            return False
    return RENDERED in done.stdout


def shoot(page: Path, target: Path, chromium: str) -> None:
    """A PNG of the page, cropped to its content."""
    with tempfile.TemporaryDirectory() as profile:
        raw = Path(profile) / "shot.png"
        command = [
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},4000",
            f"--screenshot={raw}",
            page.as_uri(),
        ]
        subprocess.run(command, capture_output=True, timeout=120, check=True)
        image = Image.open(raw).convert("RGB")
        background = Image.new(
            "RGB", image.size, image.getpixel((image.width - 1, image.height - 1))
        )
        box = ImageChops.difference(image, background).getbbox()
        if box is not None:
            image = image.crop((0, 0, WIDTH, min(image.height, box[3] + 16)))
        image.save(target, optimize=True)
    logger.info("wrote %s", target)


if __name__ == "__main__":
    sys.exit(main())
