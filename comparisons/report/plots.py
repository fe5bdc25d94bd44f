"""The report's figures, drawn with matplotlib's Agg backend (no display needed) as PNG bytes.

- ``error_distribution``: every record's relative error per op on a log axis, coloured by
  status, with each dtype's tolerance drawn as a line: how close to the limit each op runs.
- ``error_maps``: for failing gradients whose records carry an ``error_map`` (|impl - ref|
  reduced to 2-D), where in the gradient the error sits: a forgotten average is uniform, a
  missing regularisation term follows W, a wrong index hits one row.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: render to memory, never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, ScalarFormatter  # noqa: E402

from gradverify.core.status import Status  # noqa: E402

STATUS_COLORS = {
    Status.PASS: "#2e7d32",
    Status.KINK: "#d18f00",
    Status.NOT_CHECKED: "#9e9e9e",
    Status.WARNING: "#f9a825",
    Status.NOT_IMPLEMENTED: "#78909c",
    Status.FAIL: "#c62828",
    Status.ERROR: "#6a1b9a",
}
DTYPE_MARKERS = {"float64": "o", "float32": "^"}
ZERO_AT = 1e-18  # log axes cannot show 0: exact agreement is drawn here, and labelled so
MAX_MAPS = 9  # three rows of three on a laptop; each figure costs ~0.1 s
PER_QUANTITY = 3
DPI = 110


def error_distribution(frame: pd.DataFrame, title: str) -> bytes | None:
    """Relative error per op (log scale) for the records in ``frame``; None when none has one."""
    data = frame.dropna(subset=["rel_err"])
    if data.empty:
        return None
    ops = list(dict.fromkeys(data["op"]))
    width, height = 8.0, 1.5 + 0.28 * len(ops)
    fig = plt.figure(figsize=(width, height))
    # fixed margins (in inches; the left one fits the longest op name) instead of a layout engine
    left = 0.35 + 0.075 * max(len(op) for op in ops)
    ax = fig.add_axes((left / width, 0.95 / height, 1 - (left + 0.2) / width, 1 - 1.45 / height))
    rng = np.random.default_rng(0)  # jitter only: the same picture for the same records
    rows = {op: i for i, op in enumerate(ops)}
    for (status, dtype), part in data.groupby(["status", "dtype"], sort=False):
        y = part["op"].map(rows).to_numpy(float) + rng.uniform(-0.28, 0.28, len(part))
        x = np.maximum(part["rel_err"].to_numpy(float), ZERO_AT)
        color = STATUS_COLORS.get(status, "#555555")
        ax.scatter(x, y, s=16, alpha=0.7, color=color, marker=DTYPE_MARKERS.get(dtype, "s"), linewidths=0)
    for dtype, rtol in data.groupby("dtype")["rtol"].max().items():
        if rtol and math.isfinite(rtol):
            ax.axvline(rtol, color="#444444", linestyle="--", linewidth=1)
            ax.annotate(
                f"{dtype}\nrtol", (rtol, 1.0), xycoords=("data", "axes fraction"), fontsize=7, ha="center", va="bottom"
            )
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=8))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))  # plain text: mathtext costs 0.1 s
    ax.set_xlim(left=ZERO_AT / 3, right=max(10.0, float(data["rel_err"].max()) * 3))
    ax.set_yticks(range(len(ops)), ops, fontsize=9)
    ax.set_ylim(len(ops) - 0.5, -0.5)
    ax.set_xlabel(f"rel_err = max|impl - ref| / max|ref|   (exact agreement drawn at {ZERO_AT:g})", fontsize=9)
    ax.set_title(title, fontsize=11, loc="left", pad=20)
    ax.grid(axis="x", which="major", color="#dddddd", linewidth=0.6)
    handles = [
        Line2D([], [], linestyle="", marker="o", color=STATUS_COLORS[s], label=s)
        for s in (Status.PASS, Status.KINK, Status.FAIL)
        if (data["status"] == s).any()
    ]
    handles += [
        Line2D([], [], linestyle="", marker=DTYPE_MARKERS.get(d, "s"), color="#777777", label=d)
        for d in dict.fromkeys(data["dtype"])
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    return _png(fig)


def parse_map(value: Any) -> np.ndarray | None:
    """An ``error_map`` cell (JSON of a 2-D list) as a 2-D float array; None when absent or bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        array = np.asarray(json.loads(value), dtype=float)
    except (ValueError, TypeError):
        return None
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.size == 0:
        return None
    return array


def error_maps(bad_gradients: pd.DataFrame) -> list[tuple[str, bytes]]:
    """(caption, PNG) for up to ``MAX_MAPS`` records (worst first) that carry an error map.

    A sample fails alike in float32 and float64, and one bug fails every case of a function,
    so a map is drawn once per sample and at most ``PER_QUANTITY`` times per function and
    quantity: the space goes to different failures."""
    if "error_map" not in bad_gradients:
        return []
    images: list[tuple[str, bytes]] = []
    seen_samples: set[tuple[str, ...]] = set()
    per_quantity: dict[tuple[str, str], int] = {}
    for _, r in bad_gradients.iterrows():
        sample = (r["function"], r["quantity"], r["case"], _seed(r["seed"]))
        quantity = (r["function"], r["quantity"])
        if sample in seen_samples or per_quantity.get(quantity, 0) >= PER_QUANTITY:
            continue
        array = parse_map(r["error_map"])
        if array is None:
            continue
        seen_samples.add(sample)
        per_quantity[quantity] = per_quantity.get(quantity, 0) + 1
        caption = f"{r['function']} {r['quantity']} · {r['dtype']} · {r['case']}:{_seed(r['seed'])}"
        images.append((caption, _heatmap(array, f"{r['function']}  {r['quantity']}  ({r['dtype']}, {r['case']})")))
        if len(images) == MAX_MAPS:
            break
    return images


def _heatmap(array: np.ndarray, title: str) -> bytes:
    rows, cols = array.shape
    aspect = min(max(rows / max(cols, 1), 0.3), 1.6)
    width, height = 4.2, 1.2 + 2.6 * aspect
    fig = plt.figure(figsize=(width, height))
    # fixed margins (in inches) instead of a layout engine: measuring text costs ~0.3 s a figure
    left, right, bottom, top, bar = 0.55, 1.05, 0.45, 0.3, 0.12
    ax = fig.add_axes((left / width, bottom / height, 1 - (left + right) / width, 1 - (bottom + top) / height))
    cax = fig.add_axes((1 - (right - 0.15) / width, bottom / height, bar / width, 1 - (bottom + top) / height))
    # the scale starts at 0, so a (nearly) uniform error looks uniform instead of noisy
    image = ax.imshow(np.abs(array), cmap="magma", aspect="auto", interpolation="nearest", vmin=0)
    colorbar = fig.colorbar(image, cax=cax, label="|impl - ref|")
    colorbar.formatter = ScalarFormatter(useOffset=False)  # no "1e-8+3.9e-2" offset labels
    colorbar.formatter.set_powerlimits((-3, 4))
    colorbar.update_ticks()
    cax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=8.5, loc="left")
    ax.set_xlabel(f"axis 1 ({cols})", fontsize=8, labelpad=1)
    ax.set_ylabel(f"axis 0 ({rows})", fontsize=8, labelpad=1)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=1))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=1))
    ax.tick_params(labelsize=7)
    return _png(fig)


def _seed(value: Any) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return str(value)


def _png(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    finally:
        plt.close(fig)
    return buffer.getvalue()
