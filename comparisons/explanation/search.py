"""Explaining one function's failure: find it, shrink it, and show everything about it.

The search draws cases from the op's sampler (edge cases, integer-valued ``ties`` cases and
random ones, each replayable by ``KIND:SEED``) and keeps the failing case with the fewest
input entries, preferring small-integer values on a tie. That minimal case is then shown with
its triangulation, diagnosis, worst elements, error pattern and the reference's stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gradverify.core.engine import check_case
from gradverify.core.records import Record
from gradverify.core.reference_eval import evaluate
from gradverify.core.sampling import RANDOM, TIES, case_seed
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import FAILING, Status
from gradverify.run import threads
from gradverify.run.plan import Case

if TYPE_CHECKING:  # the stages import torch: only an explanation that shows them pays for it
    from gradverify.explanation.stages import Stage

DEFAULT_BUDGET = 120
"""Cases tried per function and dtype when searching for the smallest failure."""

STAGES_UP_TO = 64
"""The reference's stages are shown when the minimal case has at most this many input entries."""

HEAT = " .:-=+*#%@"


@dataclass
class Explanation:
    """Everything ``gradverify explain`` says about one function."""

    function: str
    op: str
    variant: str
    searched: int
    failing_cases: int
    dtype: str | None = None
    case: Case | None = None
    size: int = 0
    records: list[Record] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    example: Case | None = None
    """With no failure: the smallest case searched, whose records and stages are shown instead."""

    @property
    def failed(self) -> bool:
        return self.case is not None


def search_kinds(spec: OpSpec) -> list[str]:
    """The case kinds the search cycles through: integer ties first, then edges and random."""
    return (
        list(dict.fromkeys([TIES, *spec.edge_cases, RANDOM, RANDOM]))
        if TIES in spec.edge_cases
        else [*spec.edge_cases, RANDOM, RANDOM]
    )


def explain(
    spec: OpSpec,
    dtypes: list[str],
    seed: int = 0,
    budget: int = DEFAULT_BUDGET,
    replay: Case | None = None,
    shape: str | None = None,
    reproduce: Callable[[OpSpec, str, Case], Callable[[Variant], str]] | None = None,
) -> Explanation:
    """Find (or replay) the smallest failing case of ``spec``'s only variant and explain it."""
    threads.one_torch_thread()
    (variant,) = spec.variants
    result = Explanation(variant.adapter.primary, spec.name, variant.name, searched=0, failing_cases=0)
    kinds = search_kinds(spec)
    candidates = (
        [replay] if replay else [Case(kinds[i % len(kinds)], case_seed(seed, spec.name, i)) for i in range(budget)]
    )
    smallest: tuple[tuple[int, bool, int], str, Case, list[Record]] | None = None
    for dtype in dtypes:  # float64 first: a bug there is more fundamental than rounding
        best: tuple[tuple[int, bool, int], Case, list[Record]] | None = None
        for i, case in enumerate(candidates):
            records = check_case(spec, dtype, case.kind, case.seed, reproduce(spec, dtype, case) if reproduce else None)
            if shape and shape.replace(" ", "") not in records[0].shape.replace(" ", ""):
                continue
            result.searched += 1
            key = (records[0].input_size, case.kind != TIES, i)
            if smallest is None or key < smallest[0]:
                smallest = (key, dtype, case, records)
            if any(r.status in FAILING for r in records):
                result.failing_cases += 1
                key = (records[0].input_size, case.kind != TIES, i)
                if best is None or key < best[0]:
                    best = (key, case, records)
        if best is not None:
            # the explanation always has the third opinion on every quantity (the search did not need it)
            case = best[1]
            records = check_case(
                spec, dtype, case.kind, case.seed, reproduce(spec, dtype, case) if reproduce else None, thorough=True
            )
            result.dtype, result.case, result.records, result.size = dtype, case, records, best[0][0]
            if result.size <= STAGES_UP_TO:
                result.stages = _stages(spec, dtype, best[1])
            return result
    if smallest is not None:  # nothing fails: still show what the reference computes, on a small case
        (size, _, _), result.dtype, result.example, result.records = smallest
        result.size = size
        result.stages = _stages(spec, result.dtype, result.example)
    return result


def _stages(spec: OpSpec, dtype: str, case: Case) -> list[Stage]:
    """The reference's stages on exactly the case the engine checked (same sample, upstream)."""
    from gradverify.explanation import stages as reference_stages

    rng = np.random.default_rng(case.seed)
    values64 = spec.sample(rng, case.kind).cast(dtype).cast(np.float64)
    upstream = evaluate(spec, values64, rng).upstream
    try:
        return reference_stages.capture(spec, values64, upstream)
    except Exception:  # noqa: BLE001 - the view is an aid; the explanation stands without it
        return []


def heatmap(grid: list[list[float]]) -> list[str]:
    """A text heat map of an error grid: blank for 0, then ten log-spaced levels up to the max."""
    e = np.asarray(grid, dtype=float)
    top = float(e.max()) if e.size else 0.0
    lines = []
    for i, row in enumerate(e):
        cells = []
        for v in row:
            if v <= 0 or top <= 0:
                cells.append(" ")
            else:
                level = int(np.clip((np.log10(v / top) + 4) / 4 * (len(HEAT) - 1), 1, len(HEAT) - 1))
                cells.append(HEAT[level])
        lines.append(f"{i:>4} |{''.join(cells)}|")
    return lines


def render(ex: Explanation) -> str:
    """The explanation as text for a terminal."""
    head = f"gradverify explain: {ex.function} (op {ex.op}, variant {ex.variant})"
    if not ex.failed and ex.example is None:
        return f"{head}\nNo case matched the search ({ex.searched} searched).\n"
    first = ex.records[0]
    if ex.failed:
        lines = [
            head,
            f"{ex.failing_cases} of {ex.searched} cases searched fail. Smallest failing case: {ex.case} in {ex.dtype}, "
            f"{ex.size} input entries: {first.shape}",
            f"Replay it: {first.reproduce}" if first.reproduce else "",
        ]
    else:
        lines = [
            head,
            f"No failure in {ex.searched} cases: every output and gradient agrees with the torch reference.",
            f"The smallest case searched, for reading: {ex.example} in {ex.dtype}, {ex.size} input entries: "
            f"{first.shape}",
        ]
    lines += ["", "Triangulation (implementation vs torch reference vs the implementation's own finite difference):"]
    rows = [("quantity", "status", "rel_err", "fd_verdict", "blame", "diagnosis")]
    for r in ex.records:
        rel = "" if r.rel_err is None or r.rel_err != r.rel_err else f"{r.rel_err:.2e}"
        rows.append((r.quantity, r.status, rel, r.fd_verdict or "", r.blame or "", r.diagnosis or ""))
    widths = [max(len(str(row[k])) for row in rows) for k in range(len(rows[0]))]
    lines += ["  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    for r in ex.records:
        if r.status not in (*FAILING, Status.KINK):
            continue
        lines += ["", f"{r.quantity} [{r.diagnosis}]: {r.message}"]
        worst = r.worst_elements
        if worst:
            lines.append(f"  worst elements ({(r.bad_fraction or 0):.0%} of entries disagree):")
            lines.append(f"    {'index':<14}{'implementation':>16}{'reference':>16}{'finite diff':>16}")
            for w in worst:
                fd = "" if w.fd is None else f"{w.fd:.6g}"
                lines.append(f"    {str(w.index):<14}{w.impl:>16.6g}{w.ref:>16.6g}{fd:>16}")
        if r.error_map is not None:
            lines.append("  error pattern |impl - ref| (rows x columns; ' ' exact, '@' largest, log scale):")
            lines += ["  " + line for line in heatmap(r.error_map)]
    if ex.stages:
        lines += ["", "Reference stages on this case (the flat-backprop view: compare with your own):"]
        for i, s in enumerate(ex.stages, 1):
            lines.append(f"  {i:>2}. {s.op} -> shape {tuple(s.value.shape)}")
            lines.append(f"      value {_short(s.value)}")
            if s.grad is not None:
                lines.append(f"      grad  {_short(s.grad)}")
    return "\n".join(lines) + "\n"


def _short(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=4, suppress_small=True, max_line_width=100, threshold=24).replace(
        "\n", "\n            "
    )


def to_json(ex: Explanation) -> dict[str, Any]:
    """The explanation as plain data (what ``--json`` writes)."""
    return {
        "function": ex.function,
        "op": ex.op,
        "variant": ex.variant,
        "failed": ex.failed,
        "searched": ex.searched,
        "failing_cases": ex.failing_cases,
        "dtype": ex.dtype,
        "case": str(ex.case) if ex.case else None,
        "example": str(ex.example) if ex.example else None,
        "input_entries": ex.size,
        "records": [{k: _plain(v) for k, v in r.row().items()} for r in ex.records],
        "stages": [
            {"op": s.op, "value": s.value.tolist(), "grad": None if s.grad is None else s.grad.tolist()}
            for s in ex.stages
        ],
    }


def _plain(v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def plot(ex: Explanation, path: str) -> None:
    """Save the error patterns of the failing quantities as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    grids = [(r.quantity, r.error_map) for r in ex.records if r.error_map is not None]
    if not grids:
        grids = [("(no failing quantity)", np.zeros((1, 1)))]
    fig, axes = plt.subplots(1, len(grids), figsize=(4 * len(grids), 3.5), squeeze=False)
    for ax, (name, grid) in zip(axes[0], grids, strict=True):
        positive = grid[grid > 0]
        norm = (
            LogNorm(vmin=positive.min(), vmax=positive.max())
            if positive.size and positive.min() < positive.max()
            else None
        )
        image = ax.imshow(np.where(grid > 0, grid, np.nan), cmap="magma", norm=norm, aspect="auto")
        ax.set_title(f"|impl - ref| of {name}")
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        fig.colorbar(image, ax=ax)
    fig.suptitle(f"{ex.function}: {ex.case} ({ex.dtype})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
