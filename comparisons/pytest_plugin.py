"""pytest integration: a user's checks as ordinary, individually named tests.

Two ways in, both one test per (function, op variant, dtype, case):

- ``gradverify_checks``, a ``parametrize`` helper in the spirit of scikit-learn's
  ``parametrize_with_checks``::

      from gradverify.pytest_plugin import gradverify_checks

      @gradverify_checks("cs231n/layers.py", cases=3)
      def test_my_layers(gradverify_case):
          gradverify_case()  # raises AssertionError with the failing records

- the plugin option ``pytest --gradverify PATH`` (repeatable; with ``--gradverify-map``,
  ``--gradverify-cases`` and the other ``--gradverify-*`` options), which adds those tests
  to the session without any test file.

The submission is imported and checked in a worker process, as with ``gradverify check``.
Importing this module is cheap (pytest loads plugins at every start): the engine and torch
are imported only when checks are asked for.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gradverify.core.records import Record
from gradverify.core.status import Status

_OPEN: dict[tuple, Any] = {}
"""Open submissions (their workers), shared by the tests of one session."""


class GradverifyFailure(AssertionError):
    """A check that failed or errored; the message lists the records and how to replay them."""


@dataclass
class GradverifyCase:
    """One test: a case of one op variant in one dtype, or a problem found before any case
    (an import error, a function that cannot be checked). Call it to run it."""

    id: str
    run: Any = None  # the SubmissionCheck
    spec: Any = None
    dtype: str = ""
    case: Any = None
    problem: list[Record] | None = None

    def records(self) -> list[Record]:
        """The records of this test (running the case in the worker)."""
        if self.problem is not None:
            return self.problem
        return self.run.run_case(self.spec, self.dtype, self.case)

    def __call__(self) -> list[Record]:
        records = self.records()
        bad = [r for r in records if r.status.failing]
        if bad:
            raise GradverifyFailure(describe(bad))
        apart = (Status.NOT_CHECKED, Status.NOT_IMPLEMENTED)
        if records and all(r.status in apart for r in records):  # nothing was judged: say why, do not pass
            pytest.skip(f"{records[0].status}: {records[0].message or records[0].diagnosis}")
        return records

    def __repr__(self) -> str:
        return f"<gradverify {self.id}>"


def describe(records: list[Record]) -> str:
    """Failing records as a few readable lines."""
    lines = []
    for r in records[:10]:
        lines.append(f"{r.function} {r.quantity}: {r.status} [{r.diagnosis or '-'}] {r.message or ''}".rstrip())
        if r.reproduce:
            lines.append(f"    replay: {r.reproduce}")
    if len(records) > 10:
        lines.append(f"... and {len(records) - 10} more")
    return "\n".join(lines)


def collect_cases(target: str | Path, **options: Any) -> list[GradverifyCase]:
    """Every test of ``target`` (one submission) with ``gradverify check``'s options as
    keywords (``cases``, ``seed``, ``dtypes``, ``ops``, ``mapping``, ``grad_keys``,
    ``timeout``, ``memory_mb``, ``grading``, ``declarations``, ``python``)."""
    from gradverify.run.plan import tasks
    from gradverify.usercode.check import make_options
    from gradverify.usercode.submission_check import SubmissionCheck
    from gradverify.usercode.submissions import one_submission

    opts = make_options(**options)
    key = (str(target), repr(opts))
    if key not in _OPEN:
        (submission,) = one_submission(target)
        run = SubmissionCheck(submission, opts)
        run.open()
        _OPEN[key] = run
    run = _OPEN[key]
    if run.unreadable:
        return [GradverifyCase(f"{run.submission.name}-unreadable", problem=[_problem(run.unreadable)])]
    if run.nothing_checkable:
        return [GradverifyCase(f"{run.submission.name}-nothing-checkable", problem=[_problem(run.nothing_message())])]
    tests = [GradverifyCase(_problem_id(r), problem=[r]) for r in run.plan.records]
    # one test per function: each variant on its own, its cases in the plan's order
    singles = [spec.with_variants(v) for spec in run.plan.specs for v in spec.variants]
    for task in tasks(singles, opts.dtypes, opts.seed, opts.cases, opts.replay):
        single = singles[task.spec]
        variant = single.variants[0]
        name = f"{variant.adapter.primary}-{single.name}:{variant.name}-{task.dtype}-{task.case}"
        tests.append(GradverifyCase(name, run, single, task.dtype, task.case))
    return tests


def _problem(message: str) -> Record:
    return Record(
        op="(import)",
        function="(submission)",
        quantity="(import)",
        status=Status.ERROR,
        diagnosis="not_checkable",
        message=message,
    )


def _problem_id(record: Record) -> str:
    return f"{record.function}-{record.op}:{record.variant}-{record.diagnosis}"


def gradverify_checks(target: str | Path, **options: Any) -> pytest.MarkDecorator:
    """``@pytest.mark.parametrize("gradverify_case", ...)`` over every test of ``target``;
    the decorated test calls ``gradverify_case()``."""
    tests = collect_cases(target, **options)
    return pytest.mark.parametrize("gradverify_case", tests, ids=[t.id for t in tests])


def close_all() -> None:
    """Stop every worker this plugin started."""
    while _OPEN:
        _OPEN.popitem()[1].pool.close()


atexit.register(close_all)


# --- the plugin: pytest --gradverify PATH ---------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradverify", "check NumPy code against torch autograd (gradverify)")
    group.addoption("--gradverify", action="append", default=[], metavar="PATH", help="add the checks of PATH as tests")
    group.addoption("--gradverify-cases", type=int, default=None, metavar="N", help="random cases per op")
    group.addoption("--gradverify-seed", type=int, default=None, metavar="S", help="run seed")
    group.addoption("--gradverify-dtypes", default=None, metavar="LIST", help="comma-separated dtypes")
    group.addoption("--gradverify-ops", default=None, metavar="NAMES", help="only these ops or functions")
    group.addoption("--gradverify-map", action="append", default=[], metavar="NAME=TARGET", help="bind a callable")
    group.addoption("--gradverify-grad-keys", default=None, metavar="PARAM=KEY,...", help="a model's grads keys")
    group.addoption("--gradverify-timeout", type=float, default=None, metavar="SECONDS", help="time limit per call")
    group.addoption("--gradverify-grading", action="store_true", help="forbid importing autograd libraries")
    group.addoption("--gradverify-declarations", default=None, metavar="FILE", help="also check the ops FILE declares")
    group.addoption("--gradverify-python", default=None, metavar="PATH", help="run the checked code in this Python")


def _plugin_options(config: pytest.Config) -> dict[str, Any]:
    def pairs(items: list[str]) -> dict[str, str]:
        out = {}
        for item in (i for text in items for i in text.split(",") if i.strip()):
            name, _, target = item.partition("=")
            out[name.strip()] = target.strip()
        return out

    return {
        "cases": config.getoption("gradverify_cases"),
        "seed": config.getoption("gradverify_seed"),
        "dtypes": config.getoption("gradverify_dtypes"),
        "ops": config.getoption("gradverify_ops"),
        "mapping": pairs(config.getoption("gradverify_map")) or None,
        "grad_keys": pairs([config.getoption("gradverify_grad_keys") or ""]) or None,
        "timeout": config.getoption("gradverify_timeout"),
        "grading": config.getoption("gradverify_grading") or None,
        "declarations": config.getoption("gradverify_declarations"),
        "python": config.getoption("gradverify_python"),
    }


class GradverifyItem(pytest.Item):
    """One test added by ``--gradverify``."""

    def __init__(self, *, case: GradverifyCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        self.case()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        if isinstance(excinfo.value, GradverifyFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        target = Path(self.parent.target)
        return (target if target.exists() else self.parent.target), None, self.name


class GradverifySubmission(pytest.Collector):
    """The tests of one ``--gradverify PATH``."""

    def __init__(self, *, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target

    def collect(self) -> list[GradverifyItem]:
        cases = collect_cases(self.target, **_plugin_options(self.config))
        return [GradverifyItem.from_parent(self, name=c.id, case=c) for c in cases]


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect: the added tests obey them too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for target in config.getoption("gradverify"):
        node = GradverifySubmission.from_parent(session, name=target, nodeid=target, target=target)
        try:
            items.extend(node.collect())
        except Exception as e:  # noqa: BLE001 - a path that cannot be checked is a usage error
            raise pytest.UsageError(f"--gradverify {target}: {e}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    close_all()
