"""Judging one returned quantity: decode it, compare it, ask the finite difference, diagnose.

The engine calls ``judge`` once per output and gradient of a case. Everything a record says
about the quantity is decided here; the engine only runs the implementation.

The finite difference is a third opinion on demand: a gradient that agrees with the
independent torch reference needs none (its ``fd_verdict`` is ``skipped``). It runs where it
decides something: a disagreement (whom to blame, the worst elements), a difference excused
by a kink mask (is the implementation at least consistent with its own forward?), and
whenever the caller asks for ``thorough`` (``--thorough``, ``gradverify explain``). Each
gradient draws its probes from its own seeded stream, so a probe does not depend on which
other quantities were probed.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradverify.core import diagnosis, finite_diff
from gradverify.core.comparison import Comparison, Kinks, compare
from gradverify.core.roles import Roles
from gradverify.core.sampling import Sample
from gradverify.core.status import Status
from gradverify.core.tolerances import COMPARE, FD_AGREE, Tolerance

FD_COORDINATES = 2
"""Random coordinates probed per gradient, besides one random direction and the worst entries."""

PRECISION_LIMIT = 10.0
"""A float32 error passes as rounding (``precision``) only up to this many float32 tolerances."""

BLAME = {
    "backward": "The implementation's own forward pass agrees with the reference by finite differences: "
    "the backward pass is wrong.",
    "forward": "The gradient matches the implementation's own forward pass by finite differences: "
    "the forward pass computes a different function.",
    "both": "The gradient matches neither the reference nor the implementation's own forward pass: "
    "forward and backward are both off.",
    None: "Finite differences were inconclusive here (a kink on the probe path).",
}


@dataclass
class Quantity:
    """One returned quantity and what it is compared with."""

    quantity: str  # loss, out, dW, ...
    input_name: str | None  # for a gradient: the input it belongs to
    got: Any
    expected: np.ndarray
    kink_mask: Kinks | np.ndarray | Callable[[], Kinks | np.ndarray | None] | None = None
    """Entries on a kink, and the values valid there; or a call that computes them, made only
    when a difference needs them (most quantities pass without)."""
    function: str = ""  # the implementation function that returned it

    def kinks(self) -> Kinks | np.ndarray | None:
        """The kink mask, computed on first use."""
        if callable(self.kink_mask):
            self.kink_mask = self.kink_mask()
        return self.kink_mask


@dataclass
class Context:
    """What judging needs besides the quantity itself."""

    values64: Sample  # the case's inputs, in float64
    dtype: str
    tol: Tolerance
    fd_seed: int  # seeds each gradient's finite-difference directions and coordinates
    objective: Callable[[str, np.ndarray], float] | None  # the implementation's scalarized forward
    float64_value: Callable[[str], Any] | None  # the same quantity from a float64 rerun (float32 cases)
    roles: Roles = field(default_factory=Roles)  # which inputs play which part, for diagnosis
    thorough: bool = False  # a finite difference for every gradient, agreeing ones included

    def fd_rng(self, quantity: str) -> np.random.Generator:
        """The finite-difference stream of one quantity: the same whichever others were probed."""
        return np.random.default_rng([self.fd_seed, 1, zlib.crc32(quantity.encode())])


def decode(value: Any, shape: tuple[int, ...]) -> tuple[np.ndarray | None, tuple[str, str] | None]:
    """The returned value as a float64 array of ``shape``, or (code, problem) that prevents it.

    Only real numbers and numpy arrays are accepted: objects that merely look like arrays are
    a bad return, since their values cannot be trusted."""
    if value is None:
        return None, ("bad_return", "was not returned (got None)")
    if not isinstance(value, (np.ndarray, np.generic, float, int)) or isinstance(value, bool):
        return None, ("bad_return", f"must be a numpy array or a number, got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        return None, ("bad_return", f"has non-numeric dtype {array.dtype}")
    array = np.asarray(array, dtype=np.float64)  # no copy when it already is float64
    if array.shape != shape and not (shape == () and array.size == 1):
        return array, ("bad_shape", f"has shape {array.shape}, expected {shape}")
    array = array.reshape(shape)
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))
        first = tuple(int(i) for i in bad[0])
        return None, (
            "nonfinite",
            f"has {len(bad)} non-finite entries (first at {first}) where the reference is finite",
        )
    return array, None


def judge(q: Quantity, ctx: Context) -> dict[str, Any]:
    """The record fields (status, errors, diagnosis, message, ...) of one quantity."""
    got = q.got
    if type(got) is np.ndarray and got.dtype == np.float64 and got.shape == q.expected.shape:
        # returned as expected: compare first, since a pass with a finite largest difference
        # proves every entry finite (a non-finite entry makes its difference inf or NaN)
        actual, c = got, compare(got, q.expected, ctx.tol, q.kinks)
        proven = c.status == Status.PASS and math.isfinite(c.max_abs_err)
        if not proven and not np.isfinite(got).all():
            return _problem(q, None, decode(got, q.expected.shape)[1] or ("nonfinite", ""), ctx)
    else:
        actual, problem = decode(got, q.expected.shape)
        if problem:
            return _problem(q, actual, problem, ctx)
        c = compare(actual, q.expected, ctx.tol, q.kinks)
    fields: dict[str, Any] = dict(
        status=c.status,
        max_abs_err=c.max_abs_err,
        rel_err=c.rel_err,
        cs231n_rel_err=c.cs231n_rel_err,
        worst_index=c.worst_index,
        bad_fraction=c.n_bad / c.size if c.size else 0.0,
        message="",
    )
    fd_values: dict[tuple[int, ...], float] = {}
    if q.input_name is not None and ctx.objective is not None:
        if ctx.thorough or c.status != Status.PASS:
            fields.update(_fd_fields(q, actual, c, ctx, fd_values))
        else:  # agrees with the reference: a third opinion would decide nothing
            fields.update(fd_verdict=finite_diff.SKIPPED, fd_err=float("nan"))
    if c.status == Status.KINK:
        fields.update(
            diagnosis=diagnosis.KINK,
            message=f"{q.quantity} differs from the reference only at entries on a non-differentiable point "
            "(a hinge margin or ReLU input at 0, or tied maxima in a pooling window); any value between the "
            "one-sided derivatives is a valid subgradient.",
        )
    elif c.status == Status.FAIL:
        fields.update(_diagnose(q, actual, c, ctx, fields.get("blame")))
        fields["worst_elements"] = tuple(diagnosis.worst_elements(actual, q.expected, fd_values))
        fields["error_map"] = diagnosis.error_map(actual, q.expected)
    return fields


def _problem(q: Quantity, actual: np.ndarray | None, problem: tuple[str, str], ctx: Context) -> dict[str, Any]:
    code, text = problem
    if q.got is None and q.input_name is not None:  # the template's ``dx = None`` beside finished gradients
        message = (
            f"{q.function or 'the function'} gave no {q.quantity} (None, the template's initial value, or no such "
            "key) while it returned other gradients: part of the work is missing"
        )
        return dict(status=Status.INCOMPLETE, diagnosis="not_returned", message=message)
    if code == "nonfinite" and q.input_name is None:
        return _nonfinite_output(q, text)
    if code == "bad_shape" and actual is not None:
        swapped = q.input_name is not None and actual.shape == q.expected.shape[::-1] and actual.ndim == 2
        if not swapped and actual.size == q.expected.size and _broadcastable(actual.shape, q.expected.shape):
            c = compare(actual.reshape(q.expected.shape), q.expected, ctx.tol, q.kinks)
            if c.status != Status.FAIL:
                message = (
                    f"{q.function}: {q.quantity} has the right values in shape {actual.shape}; the course expects "
                    f"{q.expected.shape} (minor: reshape it, e.g. drop keepdims=True)"
                )
                return dict(status=Status.FAIL, diagnosis="shape_only", message=message, rel_err=c.rel_err)
    if code == "bad_shape" and q.input_name is not None and actual is not None:
        finding = diagnosis.transposed(q.quantity, actual, q.expected, _bound(q.expected, ctx.tol))
        if finding:
            return dict(status=Status.FAIL, diagnosis=finding.code, message=finding.message)
    prefix = f"{q.function}: " if q.function else ""
    if code == "bad_shape" and actual is not None and 0 in actual.shape and 0 not in q.expected.shape:
        text += " (empty: a slice such as a[:, :, pad:-pad] is empty when pad = 0; use pad:pad + H)"
    return dict(status=Status.ERROR, diagnosis=code, message=f"{prefix}{q.quantity} {text}")


def _nonfinite_output(q: Quantity, text: str) -> dict[str, Any]:
    """A loss or output that is not finite where the reference is: +inf alone is the
    underflow of a max-shifted softmax (p[y] rounds to 0, log gives -inf) at extreme score
    gaps, a warning; NaN (inf / inf) is the overflow of an unshifted exp, a bug."""
    got = np.asarray(q.got, dtype=np.float64)
    prefix = f"{q.function}: " if q.function else ""
    if np.isposinf(got).any() and not np.isnan(got).any() and np.isfinite(q.expected).all():
        message = (
            f"{prefix}{q.quantity} is +inf where the reference is {float(np.max(q.expected)):.4g}: the shifted "
            "softmax is right, but p[y] underflows to 0 at this score gap and log(0) = -inf. Compute the loss "
            "as logsumexp(shifted) - shifted[y] to stay finite (a warning: --strict fails it)."
        )
        return dict(status=Status.WARNING, diagnosis="unstable", message=message)
    hint = " (NaN: exp overflowed to inf / inf; subtract each row's max before exp)" if np.isnan(got).any() else ""
    return dict(status=Status.ERROR, diagnosis="nonfinite", message=f"{prefix}{q.quantity} {text}{hint}")


def _broadcastable(got: tuple[int, ...], want: tuple[int, ...]) -> bool:
    """Whether ``got`` differs from ``want`` only by size-1 axes ((1, D) for (D,))."""
    return tuple(d for d in got if d != 1) == tuple(d for d in want if d != 1)


def _bound(expected: np.ndarray, tol: Tolerance) -> float:
    scale = float(np.max(np.abs(expected), initial=0.0))
    return max(tol.atol, tol.rtol * scale)


def _diagnose(q: Quantity, actual: np.ndarray, c: Comparison, ctx: Context, blame: str | None) -> dict[str, Any]:
    bound = _bound(q.expected, ctx.tol)
    try:
        if q.input_name is None:
            finding = diagnosis.output(q.quantity, actual, q.expected, bound, ctx.values64, ctx.roles)
        else:
            finding = diagnosis.gradient(q.quantity, q.input_name, actual, q.expected, bound, ctx.values64, ctx.roles)
        if c.kink_finding and finding.code in (diagnosis.GRAD_MISMATCH, diagnosis.GRAD_LOCALIZED):
            finding = diagnosis.Finding(*c.kink_finding)  # on a kink, outside what any subgradient can be
    except Exception as e:  # noqa: BLE001 - a failure to diagnose must not hide the failure itself
        finding = diagnosis.Finding("internal_error", f"{q.quantity} differs (diagnosis failed: {e!r}).")
    where = _where(c, actual, q.expected)
    message = f"{finding.message} {where}"
    on_kink = finding.code == (c.kink_finding or ("",))[0]
    if q.input_name is not None and not on_kink:  # probes step around a kink: no word on its entry
        message += f" {BLAME[blame]}"
    fields: dict[str, Any] = dict(diagnosis=finding.code, message=message)
    if q.input_name is None:
        fields["blame"] = "forward"
    elif on_kink:
        fields["blame"] = "backward"  # no forward value can make an out-of-range subgradient right
    precision = _precision(q, c, ctx)
    if precision:
        fields.update(precision)
    return fields


def _precision(q: Quantity, c: Comparison, ctx: Context) -> dict[str, Any] | None:
    """A float32 failure that the same case does not show in float64 is rounding."""
    if ctx.dtype == "float64" or ctx.float64_value is None:
        return None
    try:
        again, problem = decode(ctx.float64_value(q.quantity), q.expected.shape)
    except Exception:  # noqa: BLE001 - a failing rerun simply gives no precision verdict
        return None
    if problem or compare(again, q.expected, COMPARE["float64"], q.kinks).status != Status.PASS:
        return None
    within = c.rel_err <= PRECISION_LIMIT * ctx.tol.rtol
    text = f"{q.quantity} is off by {c.rel_err:.2g} (relative) in float32 but exact in float64 on the same values: " + (
        "float32 rounding, within what the formula can be expected to keep."
        if within
        else "the formula loses precision in float32 (cancellation or overflow); rewrite it stably."
    )
    return dict(status=Status.PASS if within else Status.FAIL, diagnosis=diagnosis.PRECISION, message=text)


def _fd_fields(
    q: Quantity, actual: np.ndarray, c: Comparison, ctx: Context, fd_values: dict[tuple[int, ...], float]
) -> dict[str, Any]:
    """The finite-difference opinion on a gradient, and whom it blames when the gradient fails."""
    rng = ctx.fd_rng(q.quantity)
    coords = _coordinates(rng, q.expected.shape, actual, q.expected, c)
    x = ctx.values64.arrays[q.input_name]
    try:
        with np.errstate(all="ignore"):
            measurements = finite_diff.measure(lambda v: ctx.objective(q.input_name, v), x, rng, coords)
    except Exception:  # noqa: BLE001 - a forward that fails off the sample point has no opinion
        return dict(fd_verdict=finite_diff.SKIPPED, fd_err=float("nan"))
    for coord, m in zip(coords, measurements[1:], strict=True):
        if m.smooth:
            fd_values[coord] = m.fd
    limit = FD_AGREE[ctx.dtype]
    impl, err = finite_diff.verdict(measurements, actual, limit)
    ref, _ = finite_diff.verdict(measurements, q.expected, limit)
    fields: dict[str, Any] = dict(fd_verdict=impl, fd_err=err)
    if c.status == Status.FAIL:
        if impl == finite_diff.AGREE:
            fields["blame"] = "forward"
        elif impl == finite_diff.DISAGREE:
            fields["blame"] = "backward" if ref == finite_diff.AGREE else "both"
    return fields


def _coordinates(
    rng: np.random.Generator, shape: tuple[int, ...], actual: np.ndarray, expected: np.ndarray, c: Comparison
) -> list[tuple[int, ...]]:
    size = int(np.prod(shape))
    if size == 0:
        return []
    picks = rng.choice(size, size=min(FD_COORDINATES, size), replace=False)
    coords = [tuple(int(i) for i in np.unravel_index(p, shape)) for p in picks]
    if c.status == Status.FAIL:
        coords = [i for i in diagnosis.top_indices(actual, expected) if i not in coords] + coords
    return coords


def _where(c: Comparison, actual: np.ndarray, expected: np.ndarray) -> str:
    i = c.worst_index
    at = f" at index {i}" if i else ""
    return (
        f"Max abs err {c.max_abs_err:.3g}{at} (implementation {actual[i]:.6g}, reference {expected[i]:.6g}); "
        f"{c.n_bad} of {c.size} entries outside tolerance."
    )
