"""Checking a user's own code: ``check(path_or_module) -> DataFrame`` of records.

The user's code runs in a worker process (``gradverify.usercode.sandbox``); cases, seeds, the
engine and the records are the ones ``gradverify run`` uses, so a record's ``reproduce``
command (``gradverify check PATH --ops OP:VARIANT --dtypes D --replay KIND:SEED``) replays the
same sample on the same file. ``check_many`` checks several submissions (a batch folder) and
adds a ``submission`` column.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from gradverify.core.records import COLUMNS, Record, to_frame
from gradverify.core.reference_eval import warm_up
from gradverify.core.tolerances import SUPPORTED_DTYPES
from gradverify.run import threads
from gradverify.run.plan import DEFAULT_CASES, Case
from gradverify.run.sinks import Rendered
from gradverify.usercode import batch, batch_runner
from gradverify.usercode.sandbox.pool import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    Submission,
)
from gradverify.usercode.submission_check import (
    CheckOptions,
    NothingToCheck,
    SubmissionCheck,
    specs_of,
    submission_record,
    validate,
)
from gradverify.usercode.submissions import Unreadable, one_submission, submissions


def make_options(**kwargs: Any) -> CheckOptions:
    """``CheckOptions`` from keywords as a user types them: ``ops`` and ``dtypes`` may be a
    comma-separated string, ``replay`` a ``KIND:SEED`` string; ``None`` means the default."""
    for key in ("ops", "dtypes"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = tuple(n.strip() for n in kwargs[key].split(",") if n.strip())
        elif kwargs.get(key) is not None:
            kwargs[key] = tuple(kwargs[key])
    if isinstance(kwargs.get("replay"), str):
        kwargs["replay"] = Case.parse(kwargs["replay"])
    if isinstance(kwargs.get("declarations"), Path):
        kwargs["declarations"] = str(kwargs["declarations"])
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    options = CheckOptions(**{k: dict(v) if k in ("mapping", "grad_keys") else v for k, v in kwargs.items()})
    validate(options)
    return options


def check(
    target: str | Path | ModuleType,
    *,
    ops: str | Sequence[str] | None = None,
    cases: int = DEFAULT_CASES,
    seed: int = 0,
    dtypes: str | Sequence[str] = SUPPORTED_DTYPES,
    timeout: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    mapping: Mapping[str, str] | None = None,
    grad_keys: Mapping[str, str] | None = None,
    grading: bool = False,
    replay: str | Case | None = None,
    declarations: str | Path | None = None,
    thorough: bool = False,
    submission_timeout: float | None = None,
    edition: int | str | None = None,
    python: str | None = None,
) -> pd.DataFrame:
    """Check one submission: a ``.py`` file, a package folder, a module name or an imported
    module object, with ``gradverify check``'s options (``mapping={"svm_loss_naive":
    "Multiclass_SVM().svm_loss"}`` is ``--map``, ``replay="ties:123"`` is ``--replay``,
    ``declarations="ops.py"`` is ``--declarations``: the user's own ops, see docs/own-ops.md;
    ``thorough=True`` is ``--thorough``, ``python="env/bin/python"`` is ``--python``).

    Returns the records (the columns of ``gradverify run``). Raises ``Unreadable`` or
    ``NothingToCheck`` (both ``CheckError``, a ``ValueError``) when nothing could be checked,
    and ``ValueError`` for an unknown op, ``--map`` name or dtype."""
    options = make_options(**_given(locals()))
    (submission,) = one_submission(target)
    with SubmissionCheck(submission, options) as run:
        if run.unreadable:
            raise Unreadable(run.unreadable)
        if run.nothing_checkable:
            raise NothingToCheck(run.nothing_message())
        records = [r for batch in run.batches() for r in batch]
    return to_frame(records)


def check_many(
    targets: Sequence[str | Path | ModuleType],
    *,
    ops: str | Sequence[str] | None = None,
    cases: int = DEFAULT_CASES,
    seed: int = 0,
    dtypes: str | Sequence[str] = SUPPORTED_DTYPES,
    timeout: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    mapping: Mapping[str, str] | None = None,
    grad_keys: Mapping[str, str] | None = None,
    grading: bool = False,
    replay: str | Case | None = None,
    declarations: str | Path | None = None,
    thorough: bool = False,
    submission_timeout: float | None = None,
    edition: int | str | None = None,
    python: str | None = None,
) -> pd.DataFrame:
    """Check every submission ``targets`` name (a batch folder is one submission per entry),
    each in its own worker; a broken submission never stops the others. The records get a
    ``submission`` column in front (``gradverify.usercode.batch.table`` condenses them)."""
    options = make_options(**_given(locals()))
    subs = submissions(targets)
    inventory = batch.Inventory()
    records: list[Record] = []
    names: list[str] = []
    for sub, item in batch_runner.run(subs, options, batch_of, checker_died, warm=warm(options)):
        if isinstance(item, list):
            inventory.see(sub.name, item)
            records += item
            names += [sub.name] * len(item)
    for name, record in inventory.missing({s.name: s.target for s in subs}):
        records.append(record)
        names.append(name)
    frame = to_frame(records).assign(submission=names)
    return frame[["submission", *[c for c in frame.columns if c != "submission"]]]


def _given(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in arguments.items() if k not in ("target", "targets")}


def iter_batches(
    submission: Submission, options: CheckOptions, found: list[int] | None = None, complete: bool = False
) -> Iterator[list]:
    """The record batches of one submission; what stops it (unreadable, nothing found, a crash
    of gradverify itself) becomes an ``error`` record instead. ``found`` (if given) gets the
    number of checkable variants appended. With ``complete`` (batch mode, where a submission
    is graded as a whole), a forward whose backward is missing adds an ``incomplete`` record."""
    run = SubmissionCheck(submission, options)
    try:
        run.open()
        if found is not None:
            found.append(run.plan.checkable)
        if run.unreadable or run.nothing_checkable:
            why = run.unreadable or run.nothing_message(full=False)
            run.plan.records = []  # the one record below says it all
            run.add_submission_record("not_checkable", why)
        elif complete:
            run.plan.records += run.missing_backwards()
        yield from run.batches()
    except Exception as e:  # noqa: BLE001 - one broken submission never stops a batch
        yield [submission_record("internal_error", f"checking {submission.target} failed: {type(e).__name__}: {e}")]
    finally:
        run.pool.close()


BATCH_COLUMNS = (*COLUMNS, "submission")
"""The columns of batch mode's results.csv: the public columns keep their places."""


def batch_of(submission: Submission, options: CheckOptions, found: list[int]) -> Iterator[list[Record]]:
    """One submission's batches as batch mode checks it (a missing backward is incomplete),
    each with its results.csv rows rendered here, in the submission's own process."""
    for records in iter_batches(submission, options, found, complete=True):
        yield Rendered(records, BATCH_COLUMNS, {"submission": submission.name})


def warm(options: CheckOptions) -> Callable[[], None]:
    """What batch mode runs once before forking a checker per submission: one torch thread
    (as every checker has), then each checked op's reference evaluated once, so no checker
    imports torch or pays its first calls again."""

    def run() -> None:
        threads.one_torch_thread()
        warm_up(specs_of(options))

    return run


def checker_died(submission: Submission, options: CheckOptions, exitcode: int | None) -> Record:
    """The record of a submission whose checking process ended without finishing."""
    how = f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    message = (
        f"the process checking {submission.target} died ({how}) before it finished: the submission may have "
        f"killed it or exhausted memory; the results it sent before are kept"
    )
    return submission_record(
        "checker_died", message, shlex.join(["gradverify", "check", submission.target, *options.flags()])
    )
