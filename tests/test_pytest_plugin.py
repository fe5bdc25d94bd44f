"""The pytest integration: ``gradverify_checks`` (a parametrize helper) and ``--gradverify PATH``
(a plugin option), each giving one named test per function, op variant, dtype and case."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SUBMISSIONS = Path(__file__).parent / "submissions"
PLUGIN = ("-p", "gradverify.pytest_plugin")


def helper_test(path: Path, **options: object) -> str:
    args = ", ".join([repr(str(path)), *(f"{k}={v!r}" for k, v in options.items())])
    return (
        "from gradverify.pytest_plugin import gradverify_checks\n\n\n"
        f"@gradverify_checks({args})\n"
        "def test_my_code(gradverify_case):\n"
        "    gradverify_case()\n"
    )


def test_helper_gives_one_passing_test_per_function_and_case(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(helper_test(SUBMISSIONS / "linear_svm.py", cases=2, dtypes="float64"))
    result = pytester.runpytest("-v", *PLUGIN)
    result.assert_outcomes(passed=12)  # 2 variants x (4 edge cases + 2 random) x 1 dtype
    result.stdout.fnmatch_lines(["*test_my_code?svm_loss_naive-svm:naive-float64-ties:*PASSED*"])


def test_helper_failures_say_what_is_wrong_and_how_to_replay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(helper_test(SUBMISSIONS / "hostile_print.py", cases=1, dtypes="float64"))
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=5, failed=5)
    result.stdout.fnmatch_lines(["*svm_loss_vectorized dW: fail*", "*replay: gradverify check *--replay*"])


def test_helper_reports_a_broken_file_as_a_failing_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text((SUBMISSIONS / "broken_syntax.py.txt").read_text())
    pytester.makepyfile(helper_test(broken))
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*import_error*SyntaxError*"])


def test_option_adds_the_checks_without_a_test_file(pytester: pytest.Pytester) -> None:
    args = ["--gradverify", str(SUBMISSIONS / "course_layers.py"), "--gradverify-cases", "1"]
    result = pytester.runpytest(*PLUGIN, *args, "--gradverify-dtypes", "float64", "-v")
    # affine, relu, svm_loss, softmax_loss (with its gap case): edge cases + 1 random
    result.assert_outcomes(passed=3 + 4 + 4 + 5)
    result.stdout.fnmatch_lines(["*course_layers.py::affine_forward-affine:vectorized-float64-N=1:* PASSED*"])
    selected = pytester.runpytest(*PLUGIN, *args, "-k", "relu and float32")
    selected.assert_outcomes(passed=4)


def test_option_takes_map_for_the_seeds_class(pytester: pytest.Pytester) -> None:
    target = str(SUBMISSIONS / "seed_multiclass_svm.py")
    result = pytester.runpytest(
        *PLUGIN, "--gradverify", target, "--gradverify-map", "svm_loss_naive=Multiclass_SVM().svm_loss",
        "--gradverify-cases", "1",
    )  # fmt: skip
    result.assert_outcomes(passed=10)


def test_option_with_an_unreadable_path_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--gradverify", "no/such/file.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gradverify no/such/file.py*no such file*"])


def test_code_that_could_not_be_checked_is_skipped_with_the_reason_not_passed(pytester: pytest.Pytester) -> None:
    args = ["--gradverify", str(SUBMISSIONS / "numpy1_layers.py"), "--gradverify-cases", "1"]
    result = pytester.runpytest(*PLUGIN, *args, "--gradverify-dtypes", "float64", "--gradverify-ops", "affine", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) >= 1 and "passed" not in outcomes and "failed" not in outcomes
    result.stdout.fnmatch_lines(["*not_checked*NumPy 2*"])
