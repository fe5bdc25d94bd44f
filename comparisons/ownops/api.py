"""``verify`` and ``assert_verified``: check one hand-derived op, with no registry at all.

In the spirit of chainer's ``check_backward`` and ``torch.autograd.gradcheck``, but against a
torch reference (with the implementation's own finite difference as the third opinion), on
samples whose shapes vary from case to case::

    frame = gradverify.verify(swish_forward, swish_backward,
                              reference=lambda x, beta: x * torch.sigmoid(beta * x),
                              inputs={"x": ("N", "D"), "beta": 1.5})

The frame holds the records ``gradverify run`` writes to results.csv. ``assert_verified``
raises ``AssertionError`` with the failures grouped, diagnosed, and each with the call that
replays it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from gradverify.core.records import Record, to_frame
from gradverify.core.roles import Roles
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import FAILING
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.ownops.declaration import Code, Declaration, declare, function_name
from gradverify.run.plan import Case, planned_cases
from gradverify.run.sweep import check_safely

DEFAULT_CASES = 5
"""Random cases per dtype, besides one case per dimension at its smallest size."""

_LOSS = object()  # ``backward`` not given: the one callable is a loss with its gradients


class VerificationFailed(AssertionError):
    """Raised by ``assert_verified``; ``frame`` holds every record of the check."""

    def __init__(self, message: str, frame: pd.DataFrame) -> None:
        super().__init__(message)
        self.frame = frame


def declaration_of(
    fn: Code, backward: Any, reference: Callable[..., Any], inputs: Mapping[str, Any], **options: Any
) -> Declaration:
    """The declaration ``verify``'s arguments describe (``backward`` left out: a loss)."""
    name = options.pop("name", None) or function_name(fn).removesuffix("_forward")
    if backward is _LOSS:
        return declare(name, loss=fn, reference=reference, inputs=inputs, **options)
    return declare(name, forward=fn, backward=backward, reference=reference, inputs=inputs, **options)


def run_declaration(
    spec: OpSpec,
    *,
    cases: int = DEFAULT_CASES,
    seed: int = 0,
    dtypes: Sequence[str] = SUPPORTED_DTYPES,
    replay: str | Case | None = None,
    command: Callable[[OpSpec, str, Case], Callable[[Variant], str]] | None = None,
) -> list[Record]:
    """Every record of ``spec`` over its edge cases and ``cases`` random ones, per dtype."""
    dtypes = _dtypes(dtypes)
    if isinstance(cases, bool) or not isinstance(cases, int) or cases < 0:
        raise ValueError(f"cases must be a whole number >= 0, got {cases!r}")
    case = Case.parse(replay) if isinstance(replay, str) else replay
    command = command or python_replay
    records: list[Record] = []
    for c in planned_cases(spec, seed, cases, case):
        for dtype in dtypes:
            records += check_safely(spec, dtype, c, command(spec, dtype, c))
    if case is not None and not records:
        kinds = ", ".join(["random", *spec.edge_cases])
        raise ValueError(f"replay {case} is no case of {spec.name}; its kinds are {kinds}")
    return records


def python_replay(spec: OpSpec, dtype: str, case: Case) -> Callable[[Variant], str]:
    """The call that replays one case: the same ``verify`` call, narrowed to it."""

    def command(variant: Variant) -> str:
        return f"gradverify.verify({variant.adapter.primary}, ..., dtypes=[{dtype!r}], replay={str(case)!r})"

    return command


def _dtypes(dtypes: Sequence[str] | str) -> tuple[str, ...]:
    names = (dtypes,) if isinstance(dtypes, str) else tuple(dtypes)
    unknown = [d for d in names if d not in SUPPORTED_DTYPES]
    if unknown or not names:
        raise ValueError(f"dtypes must be among {', '.join(SUPPORTED_DTYPES)}, got {list(names)!r}")
    return names


def verify(
    fn: Code,
    backward: Code | None | Any = _LOSS,
    *,
    reference: Callable[..., Any],
    inputs: Mapping[str, Any],
    wrt: Sequence[str] | str | None = None,
    cases: int = DEFAULT_CASES,
    seed: int = 0,
    dtypes: Sequence[str] | str = SUPPORTED_DTYPES,
    kinks: Callable[..., Any] | None = None,
    tolerances: Mapping[str, Any] | None = None,
    sizes: Mapping[str, tuple[int, int]] | None = None,
    roles: Roles | None = None,
    name: str | None = None,
    replay: str | Case | None = None,
) -> pd.DataFrame:
    """Check one op against ``reference`` and return its records as a DataFrame.

    ``verify(forward, backward, ...)`` checks a pair ``forward(*inputs) -> (out, cache)``,
    ``backward(dout, cache) -> grads in wrt order``; ``verify(forward, None, ...)`` the forward
    alone; ``verify(loss, ...)`` a loss ``loss(*inputs) -> (loss, grads in wrt order)``.

    ``reference`` is a torch function of the same positional inputs (tensors for arrays, Python
    values otherwise). ``inputs`` is ordered like the arguments: a shape of ints and dimension
    names (drawn per case, shared across inputs), a strategy (``gradverify.labels("N",
    classes="C")``, ``mask``, ``positive``, ``uniform``), a callable ``rng -> value``, or a
    value passed as it is. ``wrt`` defaults to every floating array input. ``kinks(*inputs,
    band=...)`` marks non-differentiable entries (a dict of masks by input name, or one mask);
    ``tolerances`` maps a dtype to ``(rtol, atol)``; ``sizes`` maps a dimension name to its
    inclusive range; ``roles`` names which inputs count examples, hold labels or regularize,
    for sharper diagnoses. ``replay="random:1234"`` reruns one case of a record.
    """
    declaration = declaration_of(
        fn,
        backward,
        reference,
        inputs,
        name=name,
        wrt=wrt,
        kinks=kinks,
        tolerances=tolerances,
        sizes=sizes,
        roles=roles,
    )
    records = run_declaration(declaration.spec(), cases=cases, seed=seed, dtypes=dtypes, replay=replay)
    return to_frame(records)


def assert_verified(
    fn: Code,
    backward: Code | None | Any = _LOSS,
    **options: Any,
) -> pd.DataFrame:
    """``verify`` that raises ``AssertionError`` (a ``VerificationFailed``) when any quantity
    fails or errors; the message groups the failures with their diagnoses and replay calls.
    Returns the frame when everything passes (kinks included)."""
    __tracebackhide__ = True  # pytest shows the failures, not this frame
    frame = verify(fn, backward, **options)
    failing = frame[frame["status"].isin([str(s) for s in FAILING])]
    if not failing.empty:
        raise VerificationFailed(failure_message(failing, len(frame)), frame)
    return frame


def failure_message(failing: pd.DataFrame, total: int, limit: int = 8) -> str:
    """The failing records grouped by function, quantity and diagnosis, most frequent first:
    how many cases, in which dtypes, the first message and how to replay it."""
    rows = list(failing.to_dict("records"))
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((str(r["function"]), str(r["quantity"]), str(r["diagnosis"] or "-")), []).append(r)
    op = rows[0]["op"]
    lines = [f"gradverify: {len(rows)} of {total} checked quantities of {op} fail or error"]
    for (function, quantity, code), members in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:limit]:
        first = members[0]
        dtypes = ", ".join(dict.fromkeys(str(m["dtype"]) for m in members))
        lines.append(f"  {function} {quantity}: {first['status']} [{code}] in {_cases(members)} ({dtypes})")
        lines.append(f"    {first['case']}:{first['seed']} {first['dtype']} {first['shape']}: {first['message'] or ''}")
        if first.get("reproduce"):
            lines.append(f"    replay: {first['reproduce']}")
    if len(groups) > limit:
        lines.append(f"  ... and {len(groups) - limit} more groups (the exception's frame has every record)")
    return "\n".join(lines)


def _cases(members: Iterable[dict[str, Any]]) -> str:
    n = len({(m["case"], m["seed"]) for m in members})
    return f"{n} case{'s' if n != 1 else ''}"
