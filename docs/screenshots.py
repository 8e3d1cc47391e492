"""Regenerate docs/img/*.png from a real render of the notebooks (`make screenshots`).

Executes every notebook in notebooks/ (nbclient, widget state stored), exports each cell tagged
`screenshot-<name>` to HTML with nbconvert, and photographs it with headless Chromium.

nbconvert's pages load the widget manager (and require.js) from a CDN, which a headless
browser may not reach; so the script fetches them once with npm (`@jupyter-widgets/html-manager`
and `requirejs`, into report/screenshots/js/) and points the page at the local copies. Where the
widget views still do not render (no npm, no registry), the widget state is left out of the
export, so that nbconvert falls back to each widget's static `text/html` representation: the
same tables and plots, without the live controls.

Usage: .venv/bin/python docs/screenshots.py [--chromium /usr/bin/chromium] [--out docs/img]
"""

from __future__ import annotations

import argparse
import copy
import logging
import shutil
import subprocess
import sys
import tarfile
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
RENDERED = 'class="lm-Widget'  # the widget manager drew a view (not just its style sheet)
SCRIPTS = {  # npm package -> (folder in the cache, the file a page loads)
    "@jupyter-widgets/html-manager@1.0.15": ("html-manager", "dist/embed-amd.js"),
    "requirejs@2.3.8": ("requirejs", "require.js"),
}

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
    urls = widget_scripts(WORK / "js")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = execute(path)
        nbformat.write(notebook, WORK / path.name)
        for name, cell in tagged_cells(notebook):
            html = export(notebook, cell, name, args.chromium, urls)
            shoot(html, args.out / f"{name}.png", args.chromium)
    return 0


def widget_scripts(cache: Path) -> dict[str, str]:
    """HTMLExporter options that load the widget manager and require.js from local copies.

    Fetched once with `npm pack` into `cache`; empty (the CDN defaults) when npm is missing or
    fails.
    """
    files = {pkg: cache / folder / file for pkg, (folder, file) in SCRIPTS.items()}
    missing = [pkg for pkg, file in files.items() if not file.is_file()]
    if missing and shutil.which("npm") is None:
        logger.info("npm not found: widget views will come from the CDN, if reachable")
        return {}
    cache.mkdir(parents=True, exist_ok=True)
    for pkg in missing:
        done = subprocess.run(
            ["npm", "pack", pkg, "--pack-destination", str(cache)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            logger.info("npm pack %s failed: %s", pkg, done.stderr.strip()[-300:])
            return {}
        unpack(cache / done.stdout.strip().splitlines()[-1], cache / SCRIPTS[pkg][0])
    manager, require = (files[pkg].as_uri() for pkg in SCRIPTS)
    return {"widget_renderer_url": manager, "require_js_url": require}


def unpack(tarball: Path, folder: Path) -> None:
    """An npm tarball's `package/` contents into `folder`."""
    with tempfile.TemporaryDirectory(dir=folder.parent) as scratch, tarfile.open(tarball) as tar:
        tar.extractall(scratch, filter="data")
        shutil.rmtree(folder, ignore_errors=True)
        Path(scratch, "package").rename(folder)
    tarball.unlink()


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
    notebook: nbformat.NotebookNode,
    cell: nbformat.NotebookNode,
    name: str,
    chromium: str,
    urls: dict[str, str],
) -> Path:
    """One cell's output as an HTML page: the live widget view if it renders, else static."""
    single = copy.deepcopy(notebook)
    single.cells = [copy.deepcopy(cell)]
    live = write_html(single, WORK / f"{name}.live.html", urls)
    if renders(live, chromium):
        logger.info("%s: widget view rendered", name)
        return live
    logger.info("%s: widget view did not render offline; using the static representation", name)
    single.metadata.pop("widgets", None)
    return write_html(single, WORK / f"{name}.static.html", urls)


def write_html(notebook: nbformat.NotebookNode, target: Path, urls: dict[str, str]) -> Path:
    """The notebook's outputs (no code) as a page of nbconvert's lab template."""
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        **urls,
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
            "--virtual-time-budget=8000",
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
