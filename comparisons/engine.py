"""Checking one case: one op, one dtype, one seeded sample, every variant of the op.

For each variant the implementation runs on the sample (in the case's dtype), every output
and gradient is compared with the float64 torch reference under the same upstream gradient,
and each gradient is also compared with the implementation's own finite difference, so a
failure can be blamed on the right side.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from comparisons import finite_diff
from comparisons.adapters import Fault
from comparisons.compare import ERROR, FAIL, KINK, PASS, Comparison, compare
from comparisons.records import new_record
from comparisons.reference_eval import ReferenceResult, evaluate
from comparisons.sampling import Sample
from comparisons.spec import OpSpec, Variant
from comparisons.tolerances import FD_AGREE, KINK_BAND, Tolerance, tolerance_for

FD_COORDINATES = 2
"""Random coordinates probed per gradient, besides one random direction (and the worst entry)."""


def check_case(
    spec: OpSpec,
    dtype: str,
    case: str,
    seed: int,
    reproduce: Callable[[Variant], str] | None = None,
) -> list[dict[str, Any]]:
    """All records of one case for every variant of ``spec``."""
    rng = np.random.default_rng(seed)
    sample = spec.sample(rng, case).cast(dtype)
    # the reference sees exactly the values the implementation sees, in float64
    values64 = sample.cast(np.float64)
    shared = None if spec.observe else evaluate(spec, values64, rng)
    kinks = spec.kinks(values64, KINK_BAND[dtype]) if spec.kinks else {}
    tol = tolerance_for(dtype, spec.tolerances)
    records = []
    for variant in spec.variants:
        base = dict(
            op=spec.name,
            family=spec.family,
            variant=variant.name,
            dtype=dtype,
            case=case,
            seed=seed,
            shape=sample.shape_text(),
            atol=tol.atol,
            rtol=tol.rtol,
            reproduce=reproduce(variant) if reproduce else None,
        )
        ref = shared or _observed_reference(spec, variant, sample, values64, seed)
        if isinstance(ref, list):  # the implementation failed before the reference could run
            records += [new_record(**base, **r) for r in ref]
            continue
        fd_rng = np.random.default_rng([seed, 1])
        records += _check_variant(spec, variant, sample, values64, ref, kinks, tol, base, fd_rng)
    return records


def _observed_reference(
    spec: OpSpec, variant: Variant, sample: Sample, values64: Sample, seed: int
) -> ReferenceResult | list[dict[str, Any]]:
    """The reference of an op that needs values from the implementation's own forward (the
    dropout mask it drew), or the error fields when that forward fails."""
    adapter = variant.adapter
    try:
        with np.errstate(all="ignore"):
            outputs = adapter.forward(sample.cast(sample_dtype(sample)))
        observed = spec.observe(values64, outputs)
    except Fault as e:
        return [dict(function=adapter.primary, quantity="(call)", status=ERROR, diagnosis=e.code, message=str(e))]
    except Exception as e:  # noqa: BLE001 - any failure of the implementation is a result
        message = f"{adapter.primary} raised {_last_line(e)}"
        return [dict(function=adapter.primary, quantity="(call)", status=ERROR, diagnosis="exception", message=message)]
    augmented = Sample({**values64.arrays, **observed}, values64.static)
    return evaluate(spec, augmented, np.random.default_rng([seed, 2]))


def sample_dtype(sample: Sample) -> np.dtype:
    """The floating dtype of a sample (float64 when it has no floating array)."""
    floats = [a.dtype for a in sample.arrays.values() if np.issubdtype(a.dtype, np.floating)]
    return floats[0] if floats else np.dtype(np.float64)


def _check_variant(
    spec: OpSpec,
    variant: Variant,
    sample: Sample,
    values64: Sample,
    ref: ReferenceResult,
    kinks: dict[str, np.ndarray],
    tol: Tolerance,
    base: dict[str, Any],
    fd_rng: np.random.Generator,
) -> list[dict[str, Any]]:
    adapter = variant.adapter
    dtype = np.dtype(base["dtype"])
    call_sample = sample.cast(dtype)  # a private copy: detects in-place changes
    upstream = {k: v.astype(dtype) for k, v in ref.upstream.items()}

    def error(quantity: str, diagnosis: str, message: str, function: str | None = None) -> dict[str, Any]:
        return new_record(
            **base,
            function=function or adapter.primary,
            quantity=quantity,
            status=ERROR,
            diagnosis=diagnosis,
            message=message,
        )

    start = time.perf_counter()
    try:
        # overflow and invalid-value warnings become nonfinite records below, not console noise
        with np.errstate(all="ignore"):
            outcome = adapter.run(call_sample, upstream)
    except Fault as e:
        return [error("(call)", e.code, str(e))]
    except Exception as e:  # noqa: BLE001 - any failure of the implementation is a result
        return [error("(call)", "exception", f"{adapter.primary} raised {_last_line(e)}")]
    elapsed = time.perf_counter() - start

    records = [
        error(name, "input_mutated", f"{adapter.primary} changed its input {name} in place")
        for name, original in sample.arrays.items()
        if not np.array_equal(call_sample.arrays[name], original, equal_nan=True)
    ]
    quantities = [(name, outcome.outputs.get(name), ref.outputs[name], None) for name in spec.outputs]
    quantities += [(w, outcome.grads.get(w), ref.grads[w], kinks.get(w)) for w in spec.wrt]
    for name, got, expected, kink_mask in quantities:
        is_grad = name in outcome.grads
        quantity = f"d{name}" if is_grad else name
        function = adapter.function_for(quantity)
        actual, problem = _as_array(got, expected.shape)
        if problem:
            records.append(error(quantity, problem[0], f"{function}: {quantity} {problem[1]}", function))
            continue
        c = compare(actual, expected, tol, kink_mask)
        fields = dict(
            max_abs_err=c.max_abs_err,
            rel_err=c.rel_err,
            cs231n_rel_err=c.cs231n_rel_err,
            worst_index=str(c.worst_index),
            time_s=elapsed,
        )
        if is_grad:
            coords = _coordinates(fd_rng, expected.shape, c)
            fd = _fd_opinion(spec, adapter, values64, ref, name, actual, expected, coords, fd_rng, base["dtype"])
            fields.update(fd_verdict=fd[0], fd_err=fd[1])
            message = _grad_message(quantity, c, actual, expected, fd[0], fd[2])
        else:
            message = _value_message(quantity, c, actual, expected)
        records.append(
            new_record(**base, **fields, function=function, quantity=quantity, status=c.status, message=message)
        )
    for st in spec.statistics(values64, outcome.outputs) if spec.statistics else []:
        err = abs(st.value - st.expected)
        ok = err <= st.tolerance
        message = (
            ""
            if ok
            else (f"{st.quantity} is {st.value:.4g}, expected {st.expected:.4g} +- {st.tolerance:.2g}: {st.meaning}")
        )
        records.append(
            new_record(
                **base,
                function=adapter.function_for(st.quantity),
                quantity=st.quantity,
                status=PASS if ok else FAIL,
                max_abs_err=err,
                time_s=elapsed,
                message=message,
            )
        )
    return records


def _as_array(value: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[str, str] | None]:
    """The returned value as a float64 array of ``shape``, or the fault that prevents it."""
    if value is None:
        return np.empty(0), ("bad_return", "was not returned (got None)")
    if not isinstance(value, (np.ndarray, np.generic, float, int)) or isinstance(value, bool):
        return np.empty(0), ("bad_return", f"must be a numpy array or a number, got {type(value).__name__}")
    array = np.asarray(value)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        return np.empty(0), ("bad_return", f"has non-numeric dtype {array.dtype}")
    if array.shape != shape and not (shape == () and array.size == 1):
        return np.empty(0), ("bad_shape", f"has shape {array.shape}, expected {shape}")
    array = array.astype(np.float64).reshape(shape)
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))
        return np.empty(0), (
            "nonfinite",
            f"has {len(bad)} non-finite entries (first at {tuple(bad[0])}) where the reference is finite",
        )
    return array, None


def _coordinates(rng: np.random.Generator, shape: tuple[int, ...], c: Comparison) -> list[tuple[int, ...]]:
    size = int(np.prod(shape))
    if size == 0:
        return []
    picks = rng.choice(size, size=min(FD_COORDINATES, size), replace=False)
    coords = [tuple(int(i) for i in np.unravel_index(p, shape)) for p in picks]
    if c.status == FAIL and c.worst_index not in coords:
        coords.insert(0, c.worst_index)
    return coords


def _fd_opinion(spec, adapter, values64, ref, name, actual, expected, coords, rng, dtype) -> tuple[str, float, str]:
    """(verdict of the implementation's gradient, its error, verdict of the reference's)."""

    def objective(x: np.ndarray) -> float:
        s = Sample({**values64.arrays, name: x}, values64.static).cast(np.float64)
        outputs = adapter.forward(s)
        return float(sum(np.sum(np.asarray(outputs[k], dtype=np.float64) * u) for k, u in ref.upstream.items()))

    try:
        with np.errstate(all="ignore"):
            measurements = finite_diff.measure(objective, values64.arrays[name], rng, coords)
    except Exception:  # noqa: BLE001 - a forward that fails off the sample point has no opinion
        return finite_diff.SKIPPED, float("nan"), finite_diff.SKIPPED
    limit = FD_AGREE[dtype]
    impl_verdict, err = finite_diff.verdict(measurements, actual, limit)
    ref_verdict, _ = finite_diff.verdict(measurements, expected, limit)
    return impl_verdict, err, ref_verdict


def _where(c: Comparison, actual: np.ndarray, expected: np.ndarray) -> str:
    i = c.worst_index
    at = f" at index {i}" if i else ""
    return (
        f"max abs err {c.max_abs_err:.3g}{at} (implementation {actual[i]:.6g}, reference {expected[i]:.6g}); "
        f"{c.n_bad} of {c.size} entries outside tolerance"
    )


def _value_message(quantity: str, c: Comparison, actual: np.ndarray, expected: np.ndarray) -> str:
    if c.status == FAIL:
        return f"{quantity} differs from the reference: {_where(c, actual, expected)}."
    return ""


def _grad_message(quantity: str, c: Comparison, actual, expected, fd_impl: str, fd_ref: str) -> str:
    if c.status == KINK:
        return (
            f"{quantity} differs from the reference only at entries on a non-differentiable point "
            f"(a hinge margin or ReLU input at 0); any value between the one-sided derivatives is valid."
        )
    if c.status != FAIL:
        return ""
    text = f"{quantity} differs from the reference: {_where(c, actual, expected)}."
    return f"{text} {BLAME.get((fd_impl, fd_ref), BLAME.get(fd_impl, BLAME[None]))}"


BLAME = {
    (finite_diff.DISAGREE, finite_diff.AGREE): (
        "The implementation's own forward pass, by finite differences, agrees with the reference: "
        "the backward pass is wrong."
    ),
    finite_diff.AGREE: (
        "The gradient matches the implementation's own forward pass by finite differences: "
        "the forward pass computes a different function."
    ),
    finite_diff.DISAGREE: (
        "The gradient matches neither the reference nor the implementation's own forward pass: "
        "forward and backward are both off."
    ),
    None: "Finite differences were inconclusive here (a kink on the probe path).",
}


def _last_line(e: BaseException) -> str:
    lines = traceback.format_exception_only(type(e), e)
    return lines[-1].strip() if lines else type(e).__name__
