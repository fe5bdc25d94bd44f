"""Progress on stderr: a bar on a terminal, plain lines in a log, nothing when quiet; and a
real Ctrl-C in a terminal, which must still leave a report marked as interrupted."""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradverify.run.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_terminal_bar_redraws_in_place_with_failures_and_time_left() -> None:
    stream, clock = io.StringIO(), Clock()
    bar = Progress(10, stream=stream, tty=True, interval=0, clock=clock)
    for failing in (0, 1, 0, 2):
        clock.now += 1.5
        bar.advance(failing)
    text = stream.getvalue()
    assert text.count("\r") == 4 and "\n" not in text
    assert text.rsplit("\r", 1)[-1] == "\x1b[K[#########...............] 4/10 cases, 3 failing, 0:09 left"
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")  # the line is left clean for the summary


def test_log_gets_a_plain_line_per_interval_and_a_closing_line() -> None:
    stream, clock = io.StringIO(), Clock()
    bar = Progress(100, stream=stream, tty=False, interval=10, clock=clock)
    for _ in range(30):
        clock.now += 1
        bar.advance()
    bar.close(interrupted=True)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "gradverify: 10/100 cases, 0 failing, 1:30 left",
        "gradverify: 20/100 cases, 0 failing, 1:20 left",
        "gradverify: 30/100 cases, 0 failing, 1:10 left",
        "gradverify: interrupted after 30/100 cases, 0 failing in 0:30",
    ]


@pytest.mark.parametrize("tty", [True, False])
def test_quiet_writes_nothing(tty: bool) -> None:
    stream = io.StringIO()
    bar = Progress(5, stream=stream, quiet=True, tty=tty, interval=0)
    for _ in range(5):
        bar.advance(1)
    bar.close()
    assert stream.getvalue() == "" and bar.done == 5 and bar.failing == 5


def test_unknown_total_counts_without_a_bar() -> None:
    stream = io.StringIO()
    bar = Progress(None, stream=stream, tty=True, interval=0)
    bar.advance()
    assert stream.getvalue().endswith("1 cases, 0 failing") and "#" not in stream.getvalue()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_ctrl_c_in_a_terminal_stops_cleanly_and_writes_the_report(tmp_path: Path) -> None:
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradverify", "run", "--cases", "400", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=secondary,
        text=True,
    )
    os.close(secondary)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while b"failing" not in seen and time.monotonic() < deadline:  # the bar is drawn: the sweep runs
            if select.select([primary], [], [], 1)[0]:
                seen += os.read(primary, 4096)
        assert b"\r" in seen and b"[" in seen, seen[-200:]
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(primary)
    assert proc.returncode == 130
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["interrupted"] and 0 < meta["done"] < meta["total"]
    assert "INTERRUPTED" in (tmp_path / "report.html").read_text()
    assert "INTERRUPTED" in stdout
