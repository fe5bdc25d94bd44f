"""Checking one case: one op, one dtype, one seeded sample, every variant of the op.

For each variant the implementation runs on the sample (in the case's dtype), every output
and gradient is compared with the float64 torch reference under the same upstream gradient,
and a gradient that disagrees (or differs only at a kink) is also compared with the
implementation's own finite difference, so a failure can be blamed on the right side
(``thorough=True`` asks that of every gradient; see ``judge``). When an op declares
conventions (editions of a course), the alternatives are tried only where the expected one
fails.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from gradverify.core import conventions, edition_trials, stubs
from gradverify.core.adapters import Fault
from gradverify.core.comparison import UPSTREAM
from gradverify.core.conventions import Convention
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
    expected = conventions.expected(spec.conventions, edition_trials.default_editions(spec), spec.edition)
    primary = next((c for c in spec.conventions if c.name == expected), None)
    # alternative conventions and observed references draw the same upstream: from this state
    upstream_state = rng.bit_generator.state
    shared = None if spec.observe or primary else evaluate(spec, values64, rng)
    # kink masks are computed only when a difference needs them: a passing case never does
    kinks = _lazy_kinks(spec, values64, shared.upstream, KINK_BAND[dtype]) if shared else None
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
            # labelled once here with the convention expected of it; edition_trials.with_conventions
            # relabels only the records of a case that another convention explains
            convention=edition_trials.label(
                primary or edition_trials.own_convention(spec, variant) or spec.default_convention
            ),
        )

        def under(
            convention: Convention | None, quick: bool = False, variant: Variant = variant, base: dict = base
        ) -> list[Record]:
            """The variant's records when ``convention`` (None: the default) is expected;
            ``quick``: the same statuses without the finite-difference and float64 opinions."""
            if convention is not None and convention.adapter is not None:  # the code called as that edition's
                variant = Variant(variant.name, convention.adapter)
            if convention is None and shared is not None:
                ref = shared
            else:
                ref = _reference(spec, variant, sample, values64, seed, _generator(upstream_state), convention)
            if isinstance(ref, list):  # the implementation failed before the reference could run
                return [Record(**base, **r) for r in ref]
            seen = convention.view(values64) if convention is not None and convention.view else values64
            found = kinks if ref is shared else _lazy_kinks(spec, values64, ref.upstream, KINK_BAND[dtype])
            return _check_variant(spec, variant, sample, values64, ref, found, tol, base, seed, thorough, seen, quick)

        records += edition_trials.with_conventions(
            spec, primary, under, values64, edition_trials.own_convention(spec, variant), thorough
        )
    return edition_trials.robustness(spec, case, records)


def _generator(state: dict[str, Any]) -> np.random.Generator:
    """A generator in ``state`` (what deep-copying the generator gave, at a fraction of the cost)."""
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _reference(
    spec: OpSpec,
    variant: Variant,
    sample: Sample,
    values64: Sample,
    seed: int,
    rng: np.random.Generator,
    convention: Convention | None,
) -> ReferenceResult | list[dict[str, Any]]:
    """The reference under ``convention`` (None: the op's default)."""
    seen = values64
    if convention is not None:
        if convention.reference is not None:
            spec = dataclasses.replace(spec, reference=convention.reference)
        if convention.view is not None:
            seen = convention.view(values64)
    if spec.observe:
        return _observed_reference(spec, variant, sample, seen, seed)
    return evaluate(spec, seen, rng)


def _lazy_kinks(
    spec: OpSpec, values64: Sample, upstream: dict[str, np.ndarray], band: float
) -> Callable[[], dict[str, Any]]:
    """``_kinks``, computed at the first call and kept."""
    return functools.cache(lambda: _kinks(spec, values64, upstream, band))


def _kinks(spec: OpSpec, values64: Sample, upstream: dict[str, np.ndarray], band: float) -> dict[str, Any]:
    """The spec's kinks per input; bounds at a kink scale with the reference's upstream."""
    if not spec.kinks:
        return {}
    return spec.kinks(Sample(values64.arrays, {**values64.static, UPSTREAM: upstream}), band)


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
        status, code, message = stubs.fault_status(e.code, str(e))
        return [dict(function=adapter.primary, quantity="(call)", status=status, diagnosis=code, message=message)]
    except Exception as e:  # noqa: BLE001 - any failure of the implementation is a result
        status, code, message = stubs.fault_status("exception", f"{adapter.primary} raised {_last_line(e)}")
        return [dict(function=adapter.primary, quantity="(call)", status=status, diagnosis=code, message=message)]
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
    kinks: Callable[[], dict[str, Any]],
    tol: Tolerance,
    base: dict[str, Any],
    seed: int,
    thorough: bool,
    seen: Sample | None = None,
    quick: bool = False,
) -> list[Record]:
    """The records of one variant; ``seen`` is the sample as the convention's reference and
    statistics see it (``values64`` by default)."""
    adapter = variant.adapter
    dtype = np.dtype(base["dtype"])
    call_sample = sample.cast(dtype)  # a private copy: detects in-place changes
    upstream = {k: v.astype(dtype) for k, v in ref.upstream.items()}

    def error(quantity: str, diagnosis: str, message: str, function: str | None = None) -> Record:
        status, diagnosis, message = stubs.fault_status(diagnosis, message)
        return Record(
            **base,
            function=function or _culprit(adapter, message),
            quantity=quantity,
            status=status,
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
        error(name, "input_mutated", f"{who} changed its input {name} in place", who)
        for name, original in sample.arrays.items()
        if not _unchanged(call_sample.arrays[name], original)
        for who in [_mutator(adapter, sample.cast(dtype), name)]
    ]
    stub = stubs.stub_outcome(outcome.outputs, outcome.grads, ref.outputs, ref.grads)
    zero_grads = stubs.zero_gradients(outcome.grads, ref.grads) and stubs.outputs_right(outcome.outputs, ref.outputs)
    ctx = Context(
        values64,
        base["dtype"],
        tol,
        seed,
        None if quick else _objective(adapter, values64, ref.upstream),
        _float64_rerun(adapter, values64, ref.upstream) if dtype != np.float64 and not quick else None,
        spec.roles,
        thorough,
    )
    quantities = [Quantity(name, None, outcome.outputs.get(name), ref.outputs[name]) for name in spec.outputs]
    quantities += [
        Quantity(f"d{w}", w, outcome.grads.get(w), ref.grads[w], (lambda w=w: kinks().get(w)) if spec.kinks else None)
        for w in spec.wrt
    ]
    for q in quantities:
        q.function = adapter.function_for(q.quantity)
        if stub or (q.input_name is not None and zero_grads):
            what = "returns the template's (0.0, zeros)" if stub else f"returns an all-zero {q.quantity}"
            message = f"{q.function} {what}: not implemented yet (the template's initial value)"
            fields = dict(status=Status.NOT_IMPLEMENTED, diagnosis=stubs.NOT_IMPLEMENTED, message=message)
            records.append(Record(**base, **fields, function=q.function, quantity=q.quantity, time_s=elapsed))
            continue
        own = spec.tolerance_of(q.quantity, base["dtype"], tol)
        fields = judge(q, ctx if own is tol else dataclasses.replace(ctx, tol=own))
        own_fields = {"atol": own.atol, "rtol": own.rtol, "function": q.function, "quantity": q.quantity}
        records.append(Record.of({**base, **fields, **own_fields, "time_s": elapsed}))
    for st in spec.statistics(seen or values64, outcome.outputs) if spec.statistics else []:
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


def _culprit(adapter: Any, message: str) -> str:
    """The function a failed call names first: a backward that raised or returned garbage is
    the backward's fault, not the forward's (the adapter's messages start with the name)."""
    backward = adapter.function_for("d")
    if backward != adapter.primary and (message.startswith(f"{backward} ") or message.startswith(f"{backward}:")):
        return backward
    return adapter.primary


def _mutator(adapter: Any, sample: Sample, name: str) -> str:
    """Which function changed input ``name`` in place: the forward, if rerunning it alone on
    a fresh copy changes it, else the backward (which got the input through the cache)."""
    backward = adapter.function_for("d" + name)
    if backward == adapter.primary:
        return adapter.primary
    fresh = sample.cast(sample_dtype(sample))
    try:
        _call(adapter.forward, fresh)
    except Exception:  # noqa: BLE001 - the full call worked; a failing rerun blames the forward
        return adapter.primary
    return adapter.primary if not np.array_equal(fresh.arrays[name], sample.arrays[name], equal_nan=True) else backward


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


def _all_float64(sample: Sample) -> bool:
    return all(a.dtype == np.float64 for a in sample.arrays.values() if a.dtype.kind == "f")


def _unchanged(after: np.ndarray, before: np.ndarray) -> bool:
    """Whether an input holds exactly its old bytes (a NaN stays equal to itself)."""
    # bytes, compared in C: faster than array_equal's NaN handling on small arrays
    return after.shape == before.shape and after.dtype == before.dtype and after.tobytes() == before.tobytes()
