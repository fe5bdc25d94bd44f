"""What every report page must be, checked the same way by the report tests: well-formed
HTML, no network fetches, images that decode; plus synthetic records for report tests."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from typing import Any

import matplotlib.image as mpimg
import numpy as np

from gradverify.core.records import Record, WorstElement

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Parses a page, recording unbalanced tags, URLs it would load, images and table rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.urls: list[str] = []
        self.images: list[bytes] = []
        self.rows: list[str] = []  # text of each <tr>
        self.text: list[str] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data") and value is not None:
                self.urls.append(value)
            if name == "style" and value and "url(" in value:
                self.urls.append(value)
        if tag == "img":
            src = dict(attrs).get("src") or ""
            assert src.startswith("data:image/png;base64,"), src[:60]
            self.images.append(base64.b64decode(src.split(",", 1)[1], validate=True))
        if tag == "tr":
            self._row = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "tr" and self._row is not None:
            self.rows.append(" ".join(self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._row is not None:
            self._row.append(data)


def check_page(text: str) -> Page:
    """Parse ``text`` and assert what every report page must be; returns the parsed page."""
    assert text.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport"' in text  # readable on a phone
    page = Page()
    page.feed(text)
    page.close()
    assert not page.problems, page.problems[:5]
    assert page.stack == [], f"unclosed tags: {page.stack}"
    # self-contained: only in-page anchors and data: URIs, no stylesheet or script from elsewhere
    assert all(u.startswith(("#", "data:")) for u in page.urls), [u[:80] for u in page.urls]
    assert "<script" not in text and "@import" not in text and "<link" not in text
    for png in page.images:
        assert png.startswith(PNG_SIGNATURE)
        pixels = mpimg.imread(io.BytesIO(png), format="png")
        assert pixels.ndim == 3 and min(pixels.shape[:2]) > 50 and pixels.std() > 0.01
    return page


def row_with(page: Page, *needles: str) -> str | None:
    """The first table row whose text holds every needle."""
    return next((row for row in page.rows if all(n in row for n in needles)), None)


def records(kind: str) -> list[dict[str, Any]]:
    """Synthetic records: ``clean`` (pass and kink), ``failing`` (fail and error, with the
    diagnosis columns), ``legacy`` (failing, with the diagnosis columns empty)."""
    out = []
    for dtype, rtol in (("float64", 1e-7), ("float32", 1e-3)):
        for i, variant in enumerate(("naive", "vectorized")):
            base = dict(
                op="svm",
                family="linear_svm",
                variant=variant,
                function=f"svm_loss_{variant}",
                dtype=dtype,
                case="random",
                seed=100 + i,
                shape="W=(3, 4) X=(5, 3) y=(5,)",
                atol=rtol * 1e-3,
                rtol=rtol,
                reproduce=f"gradverify run --ops svm:{variant} --dtypes {dtype} --replay random:{100 + i}",
                time_s=1e-4 * (i + 1),
            )
            out.append(Record(**base, quantity="loss", status="pass", rel_err=rtol / 50, max_abs_err=1e-9))
            out.append(
                Record(**base, quantity="dW", status="kink" if i else "pass", rel_err=rtol / 20, fd_verdict="agree")
            )
    if kind == "clean":
        return out
    bad = dict(
        op="affine",
        family="layers",
        variant="vectorized",
        dtype="float32",
        case="ties",
        seed=7,
        shape="x=(4, 3) w=(3, 2) b=(2,)",
        rtol=1e-3,
        atol=1e-6,
        time_s=2e-4,
        reproduce="gradverify run --ops affine:vectorized --dtypes float32 --replay ties:7",
    )
    full = kind == "failing"
    error_map = np.abs(np.random.default_rng(0).normal(size=(3, 2))).tolist()
    out.append(
        Record(
            **bad,
            function="affine_backward",
            quantity="dw",
            status="fail",
            rel_err=3.0,
            max_abs_err=2.5,
            fd_verdict="disagree",
            diagnosis="grad_scale" if full else None,
            blame="backward" if full else None,
            bad_fraction=1.0 if full else None,
            worst_elements=(WorstElement((1, 0), 4.0, 1.0, 1.0),) if full else (),
            error_map=np.asarray(error_map) if full else None,
            message="dw is 4 times the reference <check the average> & the sum",
        )
    )
    out.append(
        Record(
            **bad,
            function="affine_forward",
            quantity="(call)",
            status="error",
            diagnosis="exception",
            message="affine_forward raised ValueError: shapes (4,3) and (2,3) not aligned",
        )
    )
    return out
