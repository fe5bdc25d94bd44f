"""report.html in a real browser: headless Chromium loads it without console messages, the
DOM holds the report, and screenshots at laptop and phone width are not blank.

Skipped when Chromium is absent (Debian: ``apt-get install chromium``). ``tox -e browser``
runs only these, fails if Chromium is absent, and keeps the screenshots in
``reports/browser/`` for a person to look at.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from gradverify.core.records import to_frame
from gradverify.report import files
from report_checks import records

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
# tox -e browser sets this: there a missing browser is a failure, not a skip
REQUIRED = os.environ.get("GRADVERIFY_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason="chromium is not installed"),
]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
META = {"command": "gradverify run --cases 1", "seed": 0, "cases": 1, "dtypes": ["float64", "float32"]}


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for kind in ("failing", "clean", "empty"):
        folder = tmp_path_factory.mktemp(kind)
        files.write_report(to_frame([] if kind == "empty" else records(kind)), folder, META)
        out[kind] = folder / "report.html"
    return out


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM, "chromium is not installed (Debian: apt-get install chromium)"
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", ["failing", "clean", "empty"])
def test_page_loads_without_console_messages(kind: str, pages: dict[str, Path], tmp_path: Path) -> None:
    proc = chromium(pages[kind], tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the page has no script: any console line is an error (a blocked load, a parse problem)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    dom = proc.stdout
    assert "<h1>gradverify report</h1>" in dom and 'id="overview"' in dom
    if kind == "failing":
        assert "gradverify run --ops affine:vectorized --dtypes float32 --replay ties:7" in dom
        assert dom.count("data:image/png;base64,") == 3
    if kind == "empty":
        assert "No checks ran" in dom


@pytest.mark.parametrize(("device", "width"), [("laptop", 1280), ("phone", 390)])
def test_screenshot_is_not_blank(device: str, width: int, pages: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / f"report-{device}.png"
    proc = chromium(pages["failing"], tmp_path / "profile", f"--window-size={width},2000", f"--screenshot={shot}")
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    pixels = mpimg.imread(io.BytesIO(shot.read_bytes()), format="png")
    assert pixels.shape[1] == width
    top = pixels[:600]
    assert top.std() > 0.05  # text and colour, not a white (or black) page
    assert (np.abs(top - 1.0).max(axis=-1) > 0.5).mean() > 0.01  # enough dark pixels to be text
    keep = os.environ.get("GRADVERIFY_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
