"""Checking one case: one op, one dtype, one seeded sample, every variant of the op.

For each variant the implementation runs on the sample (in the case's dtype), every output
and gradient is compared with the float64 torch reference under the same upstream gradient,
and a gradient that disagrees (or differs only at a kink) is also compared with the
implementation's own finite difference, so a failure can be blamed on the right side
(``thorough=True`` asks that of every gradient; see ``judge``).
"""

from __future__ import annotations

import copy
import dataclasses
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from gradverify.core.adapters import Fault
from gradverify.core.judge import Context, Quantity, judge
from gradverify.core.records import Record
from gradverify.core.reference_eval import ReferenceResult, evaluate
from gradverify.core.sampling import Sample
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status
from gradverify.core.tolerances import KINK_BAND, Tolerance, tolerance_for


def check_case(
    spec: OpSpec,
    dtype: str,
    case: str,
    seed: int,
    reproduce: Callable[[Variant], str] | None = None,
    thorough: bool = False,
) -> list[Record]:
    """All records of one case for every variant of ``spec``; with ``thorough``, every
    gradient also gets a finite-difference verdict, agreeing ones included."""
    rng = np.random.default_rng(seed)
    drawn = spec.sample(rng, case)  # float64, and nobody else's: no copy needed in float64
    sample = drawn if np.dtype(dtype) == np.float64 and _all_float64(drawn) else drawn.cast(dtype)
    # the reference sees exactly the values the implementation sees, in float64
    values64 = sample if sample is drawn else sample.cast(np.float64)
    shared = None if spec.observe else evaluate(spec, values64, rng)
    kinks = spec.kinks(values64, KINK_BAND[dtype]) if spec.kinks else {}
    tol = tolerance_for(dtype, spec.tolerances)
    records = []
    shape, input_shapes = sample.shape_text(), {k: tuple(v.shape) for k, v in sample.arrays.items()}
    for variant in spec.variants:
        base = dict(
            op=spec.name,
            family=spec.family,
            variant=variant.name,
            dtype=dtype,
            case=case,
            seed=seed,
            shape=shape,
            input_shapes=dict(input_shapes),
            atol=tol.atol,
            rtol=tol.rtol,
            reproduce=reproduce(variant) if reproduce else None,
        )
        ref = shared or _observed_reference(spec, variant, sample, values64, seed)
        if isinstance(ref, list):  # the implementation failed before the reference could run
            records += [Record(**base, **r) for r in ref]
            continue
        records += _check_variant(spec, variant, sample, values64, ref, kinks, tol, base, seed, thorough)
    return records


def _observed_reference(
    spec: OpSpec, variant: Variant, sample: Sample, values64: Sample, seed: int
) -> ReferenceResult | list[dict[str, Any]]:
    """The reference of an op that needs values from the implementation's own forward (the
    dropout mask it drew), or the error fields when that forward fails."""
    adapter = variant.adapter
    try:
        outputs = _call(adapter.forward, sample.cast(sample_dtype(sample)))
        observed = spec.observe(values64, outputs)
    except Fault as e:
        return [
            dict(function=adapter.primary, quantity="(call)", status=Status.ERROR, diagnosis=e.code, message=str(e))
        ]
    except Exception as e:  # noqa: BLE001 - any failure of the implementation is a result
        message = f"{adapter.primary} raised {_last_line(e)}"
        return [
            dict(
                function=adapter.primary, quantity="(call)", status=Status.ERROR, diagnosis="exception", message=message
            )
        ]
    augmented = Sample({**values64.arrays, **observed}, values64.static)
    return evaluate(spec, augmented, np.random.default_rng([seed, 2]))


def _all_float64(sample: Sample) -> bool:
    return all(a.dtype == np.float64 for a in sample.arrays.values() if np.issubdtype(a.dtype, np.floating))


def _unchanged(after: np.ndarray, before: np.ndarray) -> bool:
    """Whether an input holds exactly its old bytes (a NaN stays equal to itself)."""
    # bytes, compared in C: faster than array_equal's NaN handling on small arrays
    return after.shape == before.shape and after.dtype == before.dtype and after.tobytes() == before.tobytes()


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
    seed: int,
    thorough: bool,
) -> list[Record]:
    adapter = variant.adapter
    dtype = np.dtype(base["dtype"])
    call_sample = sample.cast(dtype)  # a private copy: detects in-place changes
    upstream = {k: v.astype(dtype) for k, v in ref.upstream.items()}

    def error(quantity: str, diagnosis: str, message: str) -> Record:
        return Record(
            **base,
            function=adapter.primary,
            quantity=quantity,
            status=Status.ERROR,
            diagnosis=diagnosis,
            message=message,
        )

    start = time.perf_counter()
    try:
        outcome = _call(adapter.run, call_sample, upstream)
    except Fault as e:
        return [error("(call)", e.code, str(e))]
    except Exception as e:  # noqa: BLE001 - any failure of the implementation is a result
        return [error("(call)", "exception", f"{adapter.primary} raised {_last_line(e)}")]
    elapsed = time.perf_counter() - start

    records = [
        error(name, "input_mutated", f"{adapter.primary} changed its input {name} in place")
        for name, original in sample.arrays.items()
        if not _unchanged(call_sample.arrays[name], original)
    ]
    ctx = Context(
        values64,
        base["dtype"],
        tol,
        seed,
        _objective(adapter, values64, ref.upstream),
        _float64_rerun(adapter, values64, ref.upstream) if dtype != np.float64 else None,
        spec.roles,
        thorough,
    )
    quantities = [Quantity(name, None, outcome.outputs.get(name), ref.outputs[name]) for name in spec.outputs]
    quantities += [Quantity(f"d{w}", w, outcome.grads.get(w), ref.grads[w], kinks.get(w)) for w in spec.wrt]
    for q in quantities:
        q.function = adapter.function_for(q.quantity)
        own = spec.tolerance_of(q.quantity, base["dtype"], tol)
        fields = judge(q, ctx if own is tol else dataclasses.replace(ctx, tol=own))
        row = {**base, "atol": own.atol, "rtol": own.rtol}
        records.append(Record(**row, **fields, function=q.function, quantity=q.quantity, time_s=elapsed))
    for st in spec.statistics(values64, outcome.outputs) if spec.statistics else []:
        err = abs(st.value - st.expected)
        ok = err <= st.tolerance
        message = (
            ""
            if ok
            else f"{st.quantity} is {st.value:.4g}, expected {st.expected:.4g} +- {st.tolerance:.2g}: {st.meaning}"
        )
        records.append(
            Record(
                **base,
                function=adapter.primary,
                quantity=st.quantity,
                status=Status.PASS if ok else Status.FAIL,
                diagnosis=None if ok else "statistic",
                max_abs_err=err,
                time_s=elapsed,
                message=message,
            )
        )
    return records


def _call(fn: Callable, *args: Any) -> Any:
    # overflow and invalid-value warnings become nonfinite records, not console noise
    with np.errstate(all="ignore"):
        return fn(*args)


def _objective(adapter: Any, values64: Sample, upstream: dict[str, np.ndarray]) -> Callable[[str, np.ndarray], float]:
    """The implementation's forward pass, scalarized with the case's upstream gradients, as a
    function of one input (what finite differences differentiate).

    The other inputs are passed as fresh read-only views of the float64 sample, not copies: an
    evaluation costs the forward pass, not a copy of every input (code that writes into its
    inputs raises there, and the probe gives no opinion). Static arguments are copied, since
    course code updates param dicts (``bn_param``) in place."""

    def objective(name: str, x: np.ndarray) -> float:
        arrays = {k: _readonly(v) for k, v in values64.arrays.items()}
        arrays[name] = np.asarray(x, dtype=np.float64)
        s = Sample(arrays, copy.deepcopy(values64.static) if values64.static else {})
        outputs = adapter.forward(s)
        return float(sum(np.sum(np.asarray(outputs[k], dtype=np.float64) * u) for k, u in upstream.items()))

    return objective


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _float64_rerun(adapter: Any, values64: Sample, upstream: dict[str, np.ndarray]) -> Callable[[str], Any]:
    """A quantity as the implementation computes it in float64 on the same values, run at most
    once and only when a float32 failure asks (to tell rounding from a bug)."""
    cache: dict[str, Any] = {}

    def value(quantity: str) -> Any:
        if not cache:
            outcome = _call(adapter.run, values64.cast(np.float64), upstream)
            cache.update(outcome.outputs)
            cache.update({f"d{k}": v for k, v in outcome.grads.items()})
        return cache.get(quantity)

    return value


def _last_line(e: BaseException) -> str:
    lines = traceback.format_exception_only(type(e), e)
    return lines[-1].strip() if lines else type(e).__name__
