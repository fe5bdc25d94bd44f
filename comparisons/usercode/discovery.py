"""Parent side: which registry ops a submission provides, as specs whose variants call it.

Matching is generic over the registry: every dataclass field of a variant's adapter that holds
implementation code (a function or class from outside ``gradverify``, such as
``LossGrad.fn``, ``ForwardBackward.forward_fn``/``backward_fn`` or ``ModelLoss.cls``) is a
*slot*, named by the course's name for it (``svm_loss_naive``, ``affine_backward``,
``TwoLayerNet``). A slot is filled by the submission's callable of the same name, or by a
``--map NAME=TARGET`` binding. A variant whose slots are all filled is checked; one whose
forward slots are filled but not a backward slot (a field named ``*backward*``) is checked
forward only; one with a backward but no forward is reported as ``not_checkable``. Ops that
other issues add to the registry are matched the same way, without changes here.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradverify.core.adapters import ModelLoss
from gradverify.core.sampling import RANDOM
from gradverify.core.spec import OpSpec, Variant
from gradverify.usercode.course_match import Slot, slots
from gradverify.usercode.sandbox.pool import Pool
from gradverify.usercode.sandbox.protocol import encode_static
from gradverify.usercode.sandbox.remote import FixedNames, NameStub, RemoteAdapter

Made = tuple[Variant, dict[str, Any] | None]
"""A planned variant, and the outputs to compare when they differ from the op's."""


@dataclass
class Plan:
    """What a submission provides: specs to check, records for what cannot be, notes."""

    specs: list[OpSpec] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def checkable(self) -> int:
        return sum(len(s.variants) for s in self.specs)


@dataclass(frozen=True)
class Target:
    """A user callable as the worker described it."""

    expr: str
    info: Mapping[str, Any]

    @property
    def is_class(self) -> bool:
        return self.info.get("kind") == "class"

    @property
    def qualname(self) -> str:
        name = self.info.get("qualname")
        return name if isinstance(name, str) and name else self.expr

    def accepts(self, keywords: tuple[str, ...]) -> list[str]:
        """The ``keywords`` its signature has no parameter for (none when unknown)."""
        params = self.info.get("params")
        if not isinstance(params, list):
            return []
        named = {p[0] for p in params if isinstance(p, list) and len(p) == 3 and p[1] in ("any", "kw")}
        if any(isinstance(p, list) and len(p) == 3 and p[1] == "varkw" for p in params):
            return []
        return [k for k in keywords if k not in named]


def plan(
    specs: tuple[OpSpec, ...] | list[OpSpec],
    pool: Pool,
    inventory: list[Any],
    mapping: Mapping[str, str],
    grad_keys: Mapping[str, str],
    record: Callable[..., dict[str, Any]],
) -> Plan:
    """Match the submission's callables (``inventory`` from the worker, plus the ``mapping``
    targets it resolves) to the variants of ``specs``. ``record(spec, variant, **fields)``
    makes a discovery-time record (the caller adds the reproduce command)."""
    found = {
        i["name"]: Target(i["name"], i) for i in inventory if isinstance(i, dict) and isinstance(i.get("name"), str)
    }
    mapped, failed = _resolve(pool, mapping)
    planner = _Planner(pool, found, mapped, failed, dict(grad_keys), record, Plan())
    for spec in specs:
        planner.op(spec)
    return _buildable(planner.result, pool)


def _refs(adapter: RemoteAdapter) -> set[str]:
    functions = {v["$function"] for v in adapter.fields.values() if isinstance(v, dict) and "$function" in v}
    return {adapter.worker_class, *functions}


def _buildable(result: Plan, pool: Pool) -> Plan:
    """Drop (with a note) the variants whose adapter class or helper the worker cannot import:
    a spec that keeps them in a module importing torch cannot run user code in the sandbox."""
    refs = sorted({r for spec in result.specs for v in spec.variants for r in _refs(v.adapter)})
    if not refs:
        return result
    reply, _ = pool.request({"cmd": "probe", "refs": refs})
    failed = reply.get("failed") if isinstance(reply.get("failed"), dict) else {}
    if not failed:
        return result
    specs = []
    for spec in result.specs:
        keep = [v for v in spec.variants if not _refs(v.adapter) & set(failed)]
        for v in spec.variants:
            broken = sorted(_refs(v.adapter) & set(failed))
            if broken:
                result.notes.append(f"{spec.name}:{v.name} not checked: {str(failed[broken[0]])[:300]}")
        if keep:
            specs.append(dataclasses.replace(spec, variants=tuple(keep)))
    result.specs = specs
    return result


def _resolve(pool: Pool, mapping: Mapping[str, str]) -> tuple[dict[str, Target], dict[str, str]]:
    """Ask the worker for each ``--map`` target: the ones it found, and why the others failed."""
    if not mapping:
        return {}, {}
    reply, _ = pool.request({"cmd": "resolve", "targets": sorted(set(mapping.values()))})
    resolved = reply.get("resolved") if isinstance(reply.get("resolved"), dict) else {}
    mapped, failed = {}, {}
    for name, expr in mapping.items():
        info = resolved.get(expr)
        if not isinstance(info, dict):
            failed[name] = f"{expr} could not be resolved"
        elif "error" in info:
            failed[name] = str(info["error"])[:300]
        else:
            mapped[name] = Target(expr, info)
    return mapped, failed


@dataclass
class _Planner:
    pool: Pool
    found: dict[str, Target]
    mapped: dict[str, Target]
    failed: dict[str, str]
    grad_keys: dict[str, str]
    record: Callable[..., dict[str, Any]]
    result: Plan
    signature_notes: list[str] = field(default_factory=list)
    """Variants of the op being planned that the code's signature rules out."""

    def unchecked(self, spec: OpSpec, variant: Variant, function: str, message: str, quantity: str = "(call)") -> None:
        self.result.records.append(
            self.record(spec, variant, function=function, quantity=quantity, diagnosis="not_checkable", message=message)
        )

    def op(self, spec: OpSpec) -> None:
        """Plan every variant of ``spec``: full checks share one spec copy, forward-only
        checks another (without gradients), and a variant with fewer outputs its own."""
        full, forward_only, own = [], [], []
        self.signature_notes = []
        for index, variant in enumerate(spec.variants):
            if index == 0 and spec.name in self.failed:
                self.unchecked(spec, variant, spec.name, f"--map {spec.name}: {self.failed[spec.name]}")
                continue
            whole = self.mapped.get(spec.name) if index == 0 else None
            made = self.bridged(spec, variant, whole) if whole is not None else self.variant(spec, variant)
            if made is None:
                continue
            v, outputs = made
            if outputs is not None:
                own.append(dataclasses.replace(spec, variants=(v,), outputs=outputs))
            else:
                (forward_only if v.adapter.forward_only else full).append(v)
        if not (full or forward_only or own):  # another edition's signature of the op was checked: no news
            self.result.notes += self.signature_notes
        taken, kept = {_forward_key(v) for v in full}, []
        for v in forward_only:  # a forward that another variant of the op already checks is not repeated
            if _forward_key(v) not in taken:
                taken.add(_forward_key(v))
                kept.append(v)
        if full:
            self.result.specs.append(spec.with_variants(*full))
        if kept:
            outputs = {name: None for name in spec.outputs}
            self.result.specs.append(dataclasses.replace(spec, variants=tuple(kept), wrt=(), outputs=outputs))
        self.result.specs += own

    def variant(self, spec: OpSpec, variant: Variant) -> Made | None:
        adapter = variant.adapter
        parts = slots(adapter)
        bound: dict[str, Target] = {}
        for s in parts:
            if s.name in self.failed:
                self.unchecked(spec, variant, s.name, f"--map {s.name}: {self.failed[s.name]}")
                return None
            target = self.mapped.get(s.name) or self.found.get(s.name)
            if target is not None:
                bound[s.field] = target
        forward = [s for s in parts if not s.backward]
        if not forward or not all(s.field in bound for s in forward):
            backs = [bound[s.field] for s in parts if s.backward and s.field in bound]
            if backs and forward:
                missing = next(s.name for s in forward if s.field not in bound)
                message = (
                    f"{backs[0].qualname} cannot be checked without {missing}: its cache comes from the "
                    f"forward pass (define {missing}, or bind yours with --map {missing}=NAME)"
                )
                self.unchecked(spec, variant, backs[0].qualname, message)
            return None
        first = bound[forward[0].field]
        if first.is_class and not forward[0].is_class:
            return self.bridged(spec, variant, first)
        wrong = [s for s in parts if s.field in bound and bound[s.field].is_class != s.is_class]
        if wrong:
            s, need = wrong[0], "a class" if wrong[0].is_class else "a function"
            self.unchecked(spec, variant, bound[s.field].qualname, f"{s.name} must be {need}")
            return None
        explicit = forward[0].name in self.mapped
        if isinstance(adapter, ModelLoss):
            missing = [] if explicit else first.accepts(_init_kwargs(spec, adapter))
        else:
            missing = first.accepts(tuple(getattr(adapter, "kwargs", ()) or ()))
        if isinstance(adapter, ModelLoss) and not missing:
            missing = [f"{k} in loss" for k in adapter.loss_kwargs if not _takes(first.info.get("loss_params"), k)]
        if missing:  # an op for an extended API (svm_delta's delta, normalization=...) this code lacks
            self.signature_notes.append(
                f"{spec.name}:{variant.name} not checked: {first.qualname} takes no {', '.join(missing)}"
            )
            return None
        if type(adapter) is ModelLoss:
            return self.model(spec, variant, first)
        return self.plain(variant, parts, bound), None

    def plain(
        self,
        variant: Variant,
        parts: list[Slot],
        bound: dict[str, Target],
        worker_class: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Variant:
        """The registry's adapter (or ``worker_class``, a subclass of it) around the user's
        callables; ``extra`` fields are added as they are."""
        adapter = variant.adapter
        slot_fields = {s.field for s in parts}
        fields, sample_fns, stubs, forward_only = {}, {}, {}, False
        for f in dataclasses.fields(adapter):
            value = getattr(adapter, f.name)
            if f.name in bound:
                fields[f.name] = {"$target": bound[f.name].expr}
                stubs[f.name] = NameStub(bound[f.name].qualname)
            elif f.name in slot_fields or (callable(value) and "backward" in f.name):
                fields[f.name], forward_only = None, True  # no backward: the forward pass alone
                stubs[f.name] = NameStub("(no backward)")
            elif callable(value) and _arity(value) == 1:
                sample_fns[f.name] = value  # a function of the sample (a model's init): run here
            elif callable(value):
                fields[f.name] = {"$function": _ref(value)}  # a helper (ModelLoss.prepare) the worker imports
            elif f.name == "grad_keys":
                fields[f.name] = _static({**value, **self.grad_keys})
            else:
                fields[f.name] = _static(value)
        remote = RemoteAdapter(
            pool=self.pool,
            worker_class=worker_class or _ref(type(adapter)),
            fields={**fields, **(extra or {})},
            names=dataclasses.replace(adapter, **stubs),
            sample_fns=sample_fns,
            forward_only=forward_only,
            key=bound[parts[0].field].expr,  # one time-out stops this callable in every op
        )
        return Variant(variant.name, remote)

    def model(self, spec: OpSpec, variant: Variant, target: Target) -> Made:
        """A model class for a ``ModelLoss`` op, through ``FlexibleModel``. When the class was
        bound with ``--map``, constructor arguments it lacks are left out (its params are set
        from the sample anyway), with a note; a ``loss`` that needs labels cannot be asked for
        test-time scores, which is reported."""
        adapter: ModelLoss = variant.adapter
        dropped = target.accepts(_init_kwargs(spec, adapter))
        if dropped:
            self.result.notes.append(
                f"{target.qualname}() takes no {', '.join(dropped)}: constructed without them (its params are "
                f"set from the sample; the reference still uses them)"
            )
        needs_labels = _required_positional(target.info.get("loss_params")) > 1
        parts = slots(adapter)
        made = self.plain(
            variant, parts, {parts[0].field: target}, BRIDGES + "FlexibleModel", {"scores": not needs_labels}
        )
        if needs_labels and "scores" in spec.outputs:
            message = (
                f"{target.qualname}.loss needs labels, so its test-time scores (loss(X) without y) cannot be "
                f"checked; give y a default of None and return the scores when it is None"
            )
            self.unchecked(spec, variant, f"{target.qualname}.loss", message, quantity="scores")
            return made, {k: v for k, v in spec.outputs.items() if k != "scores"}
        return made, None

    def bridged(self, spec: OpSpec, variant: Variant, target: Target) -> Made | None:
        """A model class standing for a whole op (``--map OP=Class``, or a class bound to a
        forward function): ``ModelLoss`` ops directly, others when they have one output."""
        adapter = variant.adapter
        if isinstance(adapter, ModelLoss) and target.is_class:
            if type(adapter) is ModelLoss:
                return self.model(spec, variant, target)
            parts = slots(adapter)
            return self.plain(variant, parts, {parts[0].field: target}), None
        output = getattr(adapter, "output", None)
        if not target.is_class or not isinstance(output, str) or not hasattr(adapter, "args"):
            message = f"{target.qualname} cannot stand for {spec.name}: only a class, for an op with one output"
            self.unchecked(spec, variant, target.qualname, message)
            return None
        fields = {
            "cls": {"$target": target.expr},
            "args": _static(tuple(adapter.args)),
            "wrt": _static(tuple(adapter.wrt)),
            "kwargs": _static(tuple(getattr(adapter, "kwargs", ()))),
            "output": output,
            "grad_keys": _static(self.grad_keys),
        }
        names = FixedNames(target.qualname)
        return Variant(
            variant.name, RemoteAdapter(self.pool, BRIDGES + "ModelAsForwardBackward", fields, names, key=spec.name)
        ), None


BRIDGES = "gradverify.usercode.sandbox.bridges:"


def _ref(obj: Any) -> str:
    """``module:qualname``, how the worker imports an adapter class or helper function."""
    return f"{obj.__module__}:{obj.__qualname__}"


def _arity(fn: Callable) -> int | None:
    try:
        return len(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None


def _init_kwargs(spec: OpSpec, adapter: ModelLoss) -> tuple[str, ...]:
    """The constructor arguments a model op passes (the same for every sample)."""
    return tuple(sorted(adapter.init(spec.sample(np.random.default_rng(0), RANDOM))))


def _takes(params: Any, name: str) -> bool:
    """Whether a described parameter list has ``name`` (or ``**kwargs``); True when unknown."""
    if not isinstance(params, list):
        return True
    described = [p for p in params if isinstance(p, list) and len(p) == 3]
    return any(p[0] == name and p[1] in ("any", "kw") or p[1] == "varkw" for p in described)


def _required_positional(params: Any) -> int:
    if not isinstance(params, list):
        return 0
    return sum(1 for p in params if isinstance(p, list) and len(p) == 3 and p[1] in ("pos", "any") and not p[2])


def _forward_key(variant: Variant) -> str:
    fields = variant.adapter.fields
    return str(sorted((k, str(v)) for k, v in fields.items() if "backward" not in k))


def _static(value: Any) -> Any:
    arrays: dict = {}
    encoded = encode_static(value, arrays, "f")
    if arrays:
        raise TypeError("adapter fields hold no arrays")
    return encoded
