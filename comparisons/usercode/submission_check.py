"""One submission's check: its worker, the plan of what it provides, and its records.

``SubmissionCheck`` imports the submission in a sandboxed worker, matches its callables to
the registry (the course detected from their names), lists what it cannot check and why, and
yields the records of every planned case. ``CheckOptions`` holds the ``gradverify check``
flags that select and limit it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gradverify.core.records import Record
from gradverify.core.spec import OpSpec, Variant
from gradverify.core.status import Status
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.run import threads
from gradverify.run.plan import DEFAULT_CASES, Case, count_cases, replay_command, tasks
from gradverify.run.sweep import check_safely
from gradverify.specs import HELPER_NAMES, SPECS, registry
from gradverify.usercode import assignments, course_match, coverage, declared, discovery
from gradverify.usercode.sandbox import grading, interpreter
from gradverify.usercode.sandbox.pool import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    Options,
    Pool,
    Submission,
    WorkerFault,
)
from gradverify.usercode.submissions import CheckError


class NothingToCheck(CheckError):
    """The submission imports, but none of its callables has a course name or a ``--map``."""


@dataclass(frozen=True)
class CheckOptions:
    """Everything that selects and limits a check (the ``gradverify check`` flags)."""

    ops: tuple[str, ...] | None = None
    course: str | None = None  # None: detected from the names the submission defines
    cases: int = DEFAULT_CASES
    seed: int = 0
    dtypes: tuple[str, ...] = SUPPORTED_DTYPES
    timeout: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    mapping: Mapping[str, str] = field(default_factory=dict)
    grad_keys: Mapping[str, str] = field(default_factory=dict)
    grading: bool = False
    replay: Case | None = None
    declarations: str | None = None  # a module or .py file declaring the user's own ops
    thorough: bool = False  # a finite difference for every gradient (``--thorough``)
    submission_timeout: float | None = None  # default: pool.BUDGET_TIMEOUTS * timeout
    edition: int | str | None = None  # hold the code to one course edition's conventions
    python: str | None = None  # the interpreter the user's code runs in (``--python``; default ours)

    def flags(self) -> list[str]:
        """The flags that make a worker behave as in this check (for reproduce commands)."""
        out = [f"--map={name}={target}" for name, target in self.mapping.items()]
        if self.course:
            out.append(f"--course={self.course}")
        if self.grad_keys:
            out.append("--grad-keys=" + ",".join(f"{k}={v}" for k, v in self.grad_keys.items()))
        if self.grading:
            out.append("--grading")
        if self.declarations:
            out.append(f"--declarations={self.declarations}")
        if self.edition is not None:
            out.append(f"--edition={self.edition}")
        if self.timeout != DEFAULT_TIMEOUT_S:
            out.append(f"--timeout={self.timeout:g}")
        if self.memory_mb != DEFAULT_MEMORY_MB:
            out.append(f"--memory-mb={self.memory_mb}")
        if self.submission_timeout is not None:
            out.append(f"--submission-timeout={self.submission_timeout:g}")
        if self.python is not None:
            out.append(f"--python={self.python}")
        return out


def specs_of(options: CheckOptions) -> tuple[OpSpec, ...]:
    """The registry's ops, and the ops ``options.declarations`` declares (``DeclarationError``,
    a ``ValueError``, when that file cannot be used)."""
    if not options.declarations:
        return SPECS
    reserved = {s.name for s in SPECS}
    return (*SPECS, *declared.sandbox_specs(options.declarations, reserved))


def validate(options: CheckOptions) -> None:
    """Raise ``ValueError`` for an unknown ``--ops`` name, ``--map`` name or dtype, or a
    declaration file that cannot be used."""
    specs = specs_of(options)
    if options.ops:
        registry.select(list(options.ops), specs)  # raises registry.UnknownName
    names = set(course_match.course_names(specs)) | {s.name for s in specs}
    for name, target in options.mapping.items():
        if name not in names:
            raise ValueError(f"--map {name}={target}: {name!r} is not a function, class or op name of the registry")
        if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\(\))*", target):
            raise ValueError(f"--map {name}={target}: the target must be NAME, NAME.attr or NAME().method")
    unknown = [d for d in options.dtypes if d not in SUPPORTED_DTYPES]
    if unknown:
        raise ValueError(f"unknown dtype {', '.join(unknown)}")
    if options.python is not None:
        interpreter.inspect(options.python)  # InterpreterError (a ValueError) saying what is wrong


class SubmissionCheck:
    """One submission's worker, its plan and its records. Use as a context manager."""

    def __init__(self, submission: Submission, options: CheckOptions) -> None:
        self.submission = submission
        self.options = options
        self.specs = specs_of(options)
        roots = {re.match(r"\w+", t).group(0) for t in options.mapping.values()}
        wanted = sorted(set(course_match.course_names(self.specs)) | roots)
        limits = Options(
            options.timeout, options.memory_mb, options.grading, options.submission_timeout, python=options.python
        )
        self.pool = Pool(submission, limits, wanted)
        self.plan = discovery.Plan()
        self.unreadable: str | None = None
        self.found: list[str] = []
        self.python2 = submission.kind != "module" and coverage.looks_python2(submission.target)
        ops = registry.select(list(options.ops), self.specs) if options.ops else None
        self.selection = {(s.name, v.name) for s in ops for v in s.variants} if ops is not None else None

    def __enter__(self) -> SubmissionCheck:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.close()

    def open(self) -> discovery.Plan:
        """Import the submission in a worker and match its callables to the registry."""
        try:
            reply = self.pool.load()
        except WorkerFault as e:  # a hang, a crash or garbage while importing: still an import error
            code = e.code if e.code == "forbidden_import" else "import_error"
            self.add_submission_record(code, f"{self.submission.target}: {e.detail}")
            return self.plan
        # the reply comes from the user's process: anything malformed is simply ignored
        inventory = [i for i in _list(reply.get("inventory")) if isinstance(i, dict)]
        self.found = sorted(str(i.get("name"))[:100] for i in inventory)
        if reply.get("not_found"):
            self.unreadable = f"{self.submission.target}: no module named {str(reply['not_found'])[:100]!r}"
            return self.plan
        if reply.get("attempts"):
            modules = ", ".join(str(a)[:60] for a in _list(reply["attempts"]))
            self.add_submission_record(
                "forbidden_import", f"{self.submission.target} imports {modules}: {grading.why(modules)}"
            )
            return self.plan
        options = self.options
        builtin = {s.name for s in SPECS}
        own = tuple(s for s in self.specs if s.name not in builtin)  # --declarations: always checked
        claimed = set(course_match.course_names(own))
        # --ops names ops of any course, as for run
        course = options.course or (registry.ALL if options.ops else None)
        specs, note = course_match.course_specs(registry.COURSES, course, self.found, options.mapping, claimed)
        checked_names = frozenset(course_match.course_names((*specs, *own)))
        for error in (e for e in _list(reply.get("errors")) if isinstance(e, dict)):
            module, message = str(error.get("module"))[:100], str(error.get("message"))[:1000]
            verdict = coverage.import_failure(module, message, self.submission.target, checked_names)
            self.add_submission_record(verdict.code, verdict.message, verdict.status)
        if not reply.get("modules"):
            return self.plan
        matched, skipped = list(specs), []
        if not options.ops:  # a name several assignments use binds the ops of the one the code is from
            matched, skipped = assignments.by_assignment(specs, [*self.found, *options.mapping], HELPER_NAMES)
        try:
            plan = discovery.plan(
                (*matched, *own), self.pool, inventory, options.mapping, options.grad_keys, self._record
            )
            plan.notes += ([note] if note else []) + skipped
        except WorkerFault as e:  # a --map target whose constructor hangs or crashes the worker
            self.add_submission_record(e.code, f"{self.submission.target}: {e.detail} (while resolving --map targets)")
            return self.plan
        self.plan.notes = plan.notes
        self.plan.specs = self._selected([self._one_edition(s) for s in plan.specs])
        self.plan.records += [r for r in plan.records if self._wanted(r.op, r.variant)]
        command = shlex.join(["gradverify", "check", self.submission.target, *self.options.flags()])
        for fields in coverage.unchecked((*specs, *own), plan, inventory, self.selection):  # the chosen course's names
            self.plan.records.append(Record(dtype="all", case="discovery", seed=0, reproduce=command, **fields))
        return self.plan

    def add_submission_record(self, code: str, message: str, status: Status = Status.ERROR) -> None:
        """A record about the submission as a whole (it cannot be imported, or holds nothing)."""
        command = shlex.join(["gradverify", "check", self.submission.target, *self.options.flags()])
        self.plan.records.append(submission_record(code, message, command, status))

    def _record(self, spec: OpSpec, variant: Variant, **fields: Any) -> Record:
        command = ["gradverify", "check", self.submission.target, "--ops", f"{spec.name}:{variant.name}"]
        return Record(
            op=spec.name,
            family=spec.family,
            variant=variant.name,
            dtype="all",
            case="discovery",
            seed=0,
            status=Status.ERROR,
            reproduce=shlex.join([*command, *self.options.flags()]),
            **fields,
        )

    def _wanted(self, op: str, variant: str) -> bool:
        return self.selection is None or (op, variant) in self.selection

    def _one_edition(self, spec: OpSpec) -> OpSpec:
        """One variant per op whose variants are editions of the user's code, the others its
        alternatives, unless --ops names one of them (``op:S23``)."""
        if self.options.ops and not all(self._wanted(spec.name, v.name) for v in spec.variants):
            return spec
        return course_match.first_edition(spec, self.plan.notes)

    def _selected(self, specs: list[OpSpec]) -> list[OpSpec]:
        out = []
        for spec in specs:
            variants = [v for v in spec.variants if self._wanted(spec.name, v.name)]
            if variants:
                out.append(spec.with_variants(*variants))
        if self.options.edition is not None:  # after --ops: a variant named there is kept
            out = [s.pinned(self.options.edition) for s in out]
        return out

    def batches(self) -> Iterator[list[Record]]:
        """The plan's records, then one batch of records per (op, case, dtype)."""
        if self.plan.records:
            yield list(self.plan.records)
        threads.one_torch_thread()
        o, specs = self.options, self.plan.specs
        for task in tasks(specs, o.dtypes, o.seed, o.cases, o.replay):
            yield self.run_case(specs[task.spec], task.dtype, task.case)

    def total(self) -> int:
        """How many (op, case, dtype) batches ``batches`` yields after the plan's records."""
        o = self.options
        return sum(count_cases(s, o.cases, o.replay) for s in self.plan.specs) * len(o.dtypes)

    def run_case(self, spec: OpSpec, dtype: str, case: Case) -> list[Record]:
        def command(variant: Variant) -> str:
            target, flags = self.submission.target, self.options.flags()
            return replay_command("check", spec.name, variant.name, dtype, case, target, flags)

        return coverage.course_provided(check_safely(spec, dtype, case, command, self.options.thorough), self.python2)

    def missing_backwards(self) -> list[Record]:
        """An ``incomplete`` record per backward that the plan checks forward only (its
        forward was found, it was not)."""
        out = []
        for spec in self.plan.specs:
            declared = {v.name: v for s in SPECS if s.name == spec.name for v in s.variants}
            for variant in spec.variants:
                if not getattr(variant.adapter, "forward_only", False) or variant.name not in declared:
                    continue
                parts = course_match.slots(declared[variant.name].adapter)
                forward = next((p.name for p in parts if not p.backward), spec.name)
                for missing in (p.name for p in parts if p.backward):
                    message = f"{missing} is missing: {forward} was checked forward only, its gradients were not"
                    out.append(
                        self._record(spec, variant, function=missing, quantity="(missing)", message=message).replace(
                            status=Status.INCOMPLETE, diagnosis="missing_function"
                        )
                    )
        return out

    @property
    def nothing_checkable(self) -> bool:
        """The submission imported, but nothing in it can be checked."""
        return not self.plan.checkable and not any(r.op == "(import)" for r in self.plan.records)

    def nothing_message(self, full: bool = True) -> str:
        """Why nothing was checked, naming what was looked for (all names when ``full``, else
        where to see them) and what was found."""
        names = course_match.course_names(self.specs)
        looked = ", ".join(names) if full else f"{', '.join(names[:5])}, ... (`gradverify list` shows all)"
        found = ", ".join(self.found[:30]) or "nothing callable"
        why = "; ".join(r.message for r in self.plan.records) or "no callable has a course name"
        if self.options.ops:
            why += f" among --ops {','.join(self.options.ops)}"
        return (
            f"{self.submission.target}: nothing checkable ({why}). Looked for: {looked}. "
            f"Found: {found}. Bind other names with --map NAME=TARGET."
        )


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def submission_record(
    code: str, message: str, reproduce: str | None = None, status: Status = Status.ERROR
) -> dict[str, Any]:
    """An ``error`` record about a whole submission: op ``(import)``, function ``(import)``."""
    return Record(
        op="(import)",
        family="(submission)",
        variant="-",
        function="(import)",
        dtype="all",
        case="import",
        seed=0,
        quantity="(import)",
        status=status,
        diagnosis=code,
        message=message,
        reproduce=reproduce,
    )
