"""Progress of a sweep on stderr: a bar redrawn in place on a terminal, a plain line every
few seconds when stderr is a file or a CI log (where carriage returns make a mess), nothing
when quiet.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24
REDRAW_S = 0.1  # a terminal bar redraws at most this often: drawing is not free
PLAIN_EVERY_S = 10.0  # a log line this often, so a long CI job shows it is alive


class Progress:
    """Counts (op, case, dtype) batches and failing checks; draws on ``stream``.

    ``total`` may be unknown (``None``): then there is no bar length and no time left.
    """

    def __init__(
        self,
        total: int | None,
        stream: TextIO | None = None,
        quiet: bool = False,
        tty: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = _isatty(self.stream) if tty is None else tty
        self.interval = interval if interval is not None else (REDRAW_S if self.tty else PLAIN_EVERY_S)
        self.clock = clock
        self.done = 0
        self.failing = 0
        self.start = clock()
        self._last_draw = self.start
        self._drawn = False

    def advance(self, failing: int = 0) -> None:
        """One more batch finished, with ``failing`` failing or erroring checks in it."""
        self.done += 1
        self.failing += failing
        now = self.clock()
        if not self.quiet and now - self._last_draw >= self.interval:
            self._last_draw = now
            self._draw(now)

    def close(self, interrupted: bool = False) -> None:
        """Leave the terminal line clean; in a log, say how the sweep ended."""
        if self.quiet:
            return
        if self.tty:
            if self._drawn:
                self.stream.write("\r\x1b[K")
        else:
            how = "interrupted after" if interrupted else "checked"
            self.stream.write(f"gradverify: {how} {self._counts()} in {_clock(self.clock() - self.start)}\n")
        self.stream.flush()

    def line(self, now: float | None = None) -> str:
        """The current state as one line of text (the bar's text without the bar)."""
        now = self.clock() if now is None else now
        text = self._counts()
        left = self._time_left(now)
        return f"{text}, {left} left" if left else text

    def _counts(self) -> str:
        of = f"/{self.total}" if self.total else ""
        return f"{self.done}{of} cases, {self.failing} failing"

    def _time_left(self, now: float) -> str:
        if not self.total or not self.done or self.done >= self.total:
            return ""
        rate = (now - self.start) / self.done
        return _clock(rate * (self.total - self.done))

    def _draw(self, now: float) -> None:
        if self.tty:
            filled = int(BAR_WIDTH * self.done / self.total) if self.total else 0
            bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] " if self.total else ""
            self.stream.write(f"\r\x1b[K{bar}{self.line(now)}")
        else:
            self.stream.write(f"gradverify: {self.line(now)}\n")
        self._drawn = True
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"
