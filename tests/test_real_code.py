"""Real student code, as it is (issue 11): course conventions of every edition pass and say
which they follow, stubs are not_implemented, what cannot be checked says why, and the bugs
around them are still caught with their names. Fixtures: tests/submissions/real_code/."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.usercode.check import check
from gradverify.usercode.sandbox import im2col_numpy
from gradverify.usercode.submissions import submissions

HERE = Path(__file__).parent / "submissions" / "real_code"
FAST = {"cases": 1, "dtypes": "float64"}


def _calls(frame: pd.DataFrame, function: str) -> pd.DataFrame:
    return frame[frame["function"] == function]


# --- conventions of other editions ------------------------------------------------------------


def test_drop_probability_dropout_passes_and_names_its_edition() -> None:
    frame = check(HERE / "dropout_2017.py", ops="dropout", cases=2)
    frame = frame[frame["op"] == "dropout"]  # not dropout_test_mode: the identity in every edition
    judged = frame[frame["status"] != "not_checked"]  # p = 1: 1 / (1 - p) is undefined under this convention
    assert (judged["status"] == "pass").all(), judged[["case", "quantity", "message"]]
    assert set(judged["convention"]) == {"2016-2017: p is the drop probability"}
    undefined = frame[frame["status"] == "not_checked"]
    assert set(undefined["case"]) == {"p=1"} and set(undefined["diagnosis"]) == {"undefined_case"}


def test_a_pinned_edition_fails_the_other_convention_by_name() -> None:
    frame = check(HERE / "dropout_2017.py", ops="dropout", edition=2019, **FAST)
    # at p = 1 the drop convention drops everything: there it is simply wrong for 2019
    failing = frame[(frame["status"] == "fail") & (frame["case"] != "p=1")]
    assert not failing.empty and set(failing["diagnosis"]) == {"other_edition"}
    assert failing["message"].str.contains("p is the drop probability").all()
    pinned = check(HERE / "dropout_2017.py", ops="dropout", edition=2017, **FAST)
    assert set(pinned["status"]) == {"pass", "not_checked"} and set(
        pinned[pinned["status"] == "not_checked"]["case"]
    ) == {"p=1"}


def test_half_reg_linear_classifiers_of_2016_pass() -> None:
    frame = check(HERE / "linear_2016.py", ops="svm,softmax", **FAST)
    # at score gaps of ~1e3 the shifted softmax's p[y] underflows: a warning, not a failure
    assert set(frame[frame["case"] == "gap"]["status"]) <= {"pass", "warning"}
    frame = frame[frame["case"] != "gap"]
    assert (frame["status"] == "pass").all(), frame[["function", "case", "message"]]
    with_reg = frame[frame["case"] != "ties"]  # the svm's ties case has reg = 0: every convention agrees
    assert set(with_reg["convention"]) == {"2016: 0.5 * reg * sum(W^2), gradient reg * W"}


def test_half_reg_loss_with_a_full_reg_gradient_is_a_bug(tmp_path: Path) -> None:
    mixed = (HERE / "linear_2016.py").read_text().replace("+ 0.5 * reg * np.sum(W * W)", "+ reg * np.sum(W * W)")
    path = tmp_path / "mixed.py"
    path.write_text(mixed)
    frame = check(path, ops="svm,softmax", **FAST)
    grads = frame[
        (frame["quantity"] == "dW") & ~frame["case"].isin(["ties", "large", "gap"])
    ]  # reg = 0; data term dominates
    assert (grads["status"] == "fail").all() and set(grads["diagnosis"]) == {"reg_grad"}


def test_update_rules_in_place_and_adam_starting_at_t_1_pass() -> None:
    frame = check(HERE / "optim_course.py", ops="sgd,sgd_momentum,adam", cases=2)
    assert (frame["status"] == "pass").all(), frame[["function", "quantity", "message"]]
    adam = _calls(frame, "adam")
    assert set(adam["convention"]) == {"2017: Adam's t starts at 1 (config.setdefault('t', 1))"}


# --- stubs, and what is not checked ----------------------------------------------------------------


def test_template_stubs_are_not_implemented_and_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "r"
    code = cli.main(["check", str(HERE / "template_stubs.py"), "-q", "--cases", "1", "--out", str(out)])
    frame = pd.read_csv(out / "results.csv")
    stubs = frame[frame["function"].isin(["affine_forward", "affine_backward", "softmax_loss_vectorized"])]
    assert set(stubs["status"]) == {"not_implemented"}
    assert (_calls(frame, "relu_forward")["status"] == "pass").all()
    printed = capsys.readouterr().out
    assert code == 0 and "not implemented: affine_forward, softmax_loss_vectorized" in printed
    assert (
        "not implemented" in (out / "summary.md").read_text() and "not implemented" in (out / "report.html").read_text()
    )
    strict = ["check", str(HERE / "template_stubs.py"), "-q", "--cases", "1", "--strict", "--out", str(tmp_path / "s")]
    assert cli.main(strict) == 1


def test_an_update_rule_stub_is_not_implemented() -> None:
    frame = check(HERE / "optim_course.py", ops="rmsprop", **FAST)
    assert set(frame["status"]) == {"not_implemented"} and "None" in frame["message"].iloc[0]


def test_a_course_class_no_op_can_call_is_listed_as_not_checked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "r"
    code = cli.main(["check", str(HERE / "old_signature.py"), "-q", "--cases", "1", "--out", str(out)])
    frame = pd.read_csv(out / "results.csv")
    net = _calls(frame, "TwoLayerNet")
    assert code == 0 and set(net["status"]) == {"not_checked"} and set(net["diagnosis"]) == {"signature"}
    assert net["message"].str.contains("takes no").all()
    assert "1 not checked: TwoLayerNet" in capsys.readouterr().out
    assert (frame[frame["function"] != "TwoLayerNet"]["status"] == "pass").all()


def test_the_old_neural_net_two_layer_net_is_checked() -> None:
    frame = check(HERE / "neural_net_2018.py", **FAST)
    assert set(frame["op"]) == {"neural_net"} and (frame["status"] == "pass").all()
    assert frame["function"].str.startswith("TwoLayerNet").all()


# --- layouts ---------------------------------------------------------------------------------------


def test_a_package_without_init_is_one_submission_and_imports_itself() -> None:
    folder = HERE / "nopkg" / "cs231n"
    assert len(submissions([folder])) == 1
    frame = check(folder, **FAST)
    assert {"affine_forward", "affine_relu_forward", "softmax_loss_vectorized"} <= set(frame["function"])
    assert (frame[frame["case"] != "gap"]["status"] == "pass").all(), frame[["function", "message"]]


def test_fast_layers_run_on_the_numpy_im2col_stand_in() -> None:
    frame = check(HERE / "fastpkg" / "cs231n", ops="conv:fast", **FAST)
    assert not frame.empty and (frame["status"] == "pass").all(), frame[["function", "message"]]


def test_the_im2col_stand_in_is_the_adjoint_of_its_col2im() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = im2col_numpy.im2col_cython(x, 3, 3, 1, 2)
    c = rng.standard_normal(cols.shape)
    back = im2col_numpy.col2im_cython(c, 2, 3, 7, 6, 3, 3, 1, 2)
    assert np.isclose(np.sum(cols * c), np.sum(x * back))
    # one column is one receptive field, channel-major: (c, i, j) rows, (y, x, n) columns
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    assert np.array_equal(cols[:, 1 * 3 * 2 + 2 * 2 + 1], padded[1, :, 2:5, 4:7].ravel())
    six = rng.standard_normal((3, 3, 3, 2, 4, 3))
    back6 = im2col_numpy.col2im_6d_cython(six, 2, 3, 7, 6, 3, 3, 1, 2)
    assert np.isclose(np.sum(six * _strided(x, 3, 3, 1, 2)), np.sum(x * back6))


def _strided(x: np.ndarray, hh: int, ww: int, pad: int, stride: int) -> np.ndarray:
    n, c, h, w = x.shape
    p = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - hh) // stride + 1, (w + 2 * pad - ww) // stride + 1
    out = np.empty((c, hh, ww, n, oh, ow))
    for i in range(hh):
        for j in range(ww):
            out[:, i, j] = p[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride].transpose(1, 0, 2, 3)
    return out


# --- severity, and bugs named after the right function -----------------------------------------------


def test_right_values_in_a_broadcastable_shape_are_shape_only() -> None:
    frame = check(HERE / "shape_only.py", ops="affine", **FAST)
    db = frame[frame["quantity"] == "db"]
    assert set(db["status"]) == {"fail"} and set(db["diagnosis"]) == {"shape_only"}
    assert db["message"].str.contains("right values").all()
    assert (frame[frame["quantity"] != "db"]["status"] == "pass").all()


def test_a_backward_that_raises_or_mutates_is_named() -> None:
    frame = check(HERE / "backward_faults.py", ops="affine,relu", **FAST)
    calls = frame[frame["quantity"] == "(call)"]
    assert set(calls["function"]) == {"affine_backward"} and set(calls["diagnosis"]) == {"exception"}
    mutated = frame[frame["diagnosis"] == "input_mutated"]
    assert not mutated.empty and set(mutated["function"]) == {"relu_backward"}


def test_numpy_1_api_gets_a_numpy2_removed_diagnosis() -> None:
    frame = check(HERE / "numpy1_api.py", ops="relu", **FAST)
    calls = frame[frame["quantity"] == "(call)"]
    assert set(calls["diagnosis"]) == {"numpy2_removed"} and set(calls["status"]) == {"not_checked"}
    assert calls["message"].str.contains("np.float").all() and calls["message"].str.contains("--python").all()


def test_int_of_a_one_element_array_is_a_numpy2_removal_and_python2_float_indices_are_not_checked() -> None:
    frame = check(HERE / "numpy1_api.py", ops="affine,max_pool", **FAST)
    pool = frame[(frame["function"] == "max_pool_forward_naive") & (frame["quantity"] == "(call)")]
    assert set(pool["diagnosis"]) == {"numpy2_removed"} and pool["message"].str.contains("one-element").all()
    legacy = check(HERE / "python2_division.py", ops="max_pool", **FAST)
    calls = legacy[legacy["quantity"] == "(call)"]
    assert set(calls["status"]) == {"not_checked"} and set(calls["diagnosis"]) == {"python2_division"}


def test_softmax_edge_cases_tell_overflow_from_underflow() -> None:
    shifted = check(HERE / "linear_2016.py", ops="softmax", **FAST)
    large = shifted[(shifted["case"] == "large") & (shifted["quantity"] == "loss")]
    assert not large.empty and set(large["status"]) == {"pass"}  # scores of 1e3 sharing an offset: no underflow
    gap = shifted[(shifted["case"] == "gap") & (shifted["quantity"] == "loss")]
    assert set(gap["status"]) == {"warning"} and set(gap["diagnosis"]) == {"unstable"}
    unshifted = check(HERE / "softmax_unshifted.py", ops="softmax", **FAST)
    overflow = unshifted[(unshifted["case"] == "large") & (unshifted["quantity"] == "loss")]
    assert set(overflow["status"]) == {"error"} and overflow["message"].str.contains("subtract each row's max").all()


def test_a_helper_calling_a_function_the_package_lacks_is_not_checked() -> None:
    frame = check(HERE / "copied_helper.py", ops="affine_ln_relu,affine", **FAST)
    helper = frame[frame["function"] == "affine_ln_relu_forward"]
    assert set(helper["status"]) == {"not_checked"} and set(helper["diagnosis"]) == {"missing_dependency"}
    assert helper["message"].str.contains("layernorm_forward").all()
    assert (frame[frame["function"].str.startswith("affine_")]["status"].isin(["pass", "not_checked"])).all()


def test_a_file_needing_an_absent_package_and_defining_nothing_checked_is_not_checked() -> None:
    frame = check(HERE / "pytorch_files" / "cs231n", **FAST)
    imports = frame[frame["function"] == "(import)"]
    imports = imports.set_index(imports["message"].str.extract(r"^(\S+)")[0])
    assert imports.loc["gan_pytorch.py", "status"] == "not_checked"
    assert imports.loc["gan_pytorch.py", "diagnosis"] == "missing_module"
    assert "gradverify_fixture_absent_vision is not installed" in imports.loc["gan_pytorch.py", "message"]
    # a file that defines a function gradverify checks keeps its import error
    assert (imports.loc["model.py", "status"], imports.loc["model.py", "diagnosis"]) == ("error", "import_error")
    layers = frame[frame["function"].isin(["affine_forward", "affine_backward", "relu_forward", "relu_backward"])]
    assert not layers.empty and (layers["status"] == "pass").all()


def test_the_2016_2017_fully_connected_net_constructor_is_checked_under_its_edition() -> None:
    frame = check(HERE / "fc_net_2016.py", ops="fully_connected_net_dropout,fully_connected_net_batchnorm", cases=2)
    dropout = frame[frame["op"] == "fully_connected_net_dropout"]
    batchnorm = frame[frame["op"] == "fully_connected_net_batchnorm"]
    assert set(dropout["variant"]) == {"2016-2020"} and set(batchnorm["variant"]) == {"2016-2017"}
    assert (dropout["status"] == "pass").all() and (batchnorm["status"] == "pass").all()
    assert dropout["convention"].str.contains("drop probability \\(kept where rand >= p\\)").any()


def test_a_pinned_later_edition_fails_the_2016_network_dropout_by_name() -> None:
    frame = check(HERE / "fc_net_2016.py", ops="fully_connected_net_dropout", cases=2, edition=2019)
    failed = frame[frame["status"] == "fail"]
    assert not failed.empty and set(failed["diagnosis"]) == {"other_edition"}
    assert failed["message"].str.contains("dropout is the drop probability").all()


@pytest.mark.parametrize(("committed", "why"), [(True, "is not Python 3"), (False, "was not committed")])
def test_a_python2_or_missing_fast_layers_file_is_replaced_and_said_so(
    committed: bool, why: str, tmp_path: Path
) -> None:
    package = tmp_path / "cs231n"  # the py2fast package, its Python 2 fast_layers.py committed or not
    ignore = None if committed else shutil.ignore_patterns("fast_layers.py")
    shutil.copytree(HERE / "py2fast" / "cs231n", package, ignore=ignore)
    frame = check(package, **FAST)
    imports = frame[frame["function"] == "(import)"]
    assert len(imports) == 1 and imports["status"].iloc[0] == "not_checked", imports["message"].tolist()
    assert (
        f"fast_layers.py {why}" in imports["message"].iloc[0]
        and "NumPy fast layers stand in" in imports["message"].iloc[0]
    )
    # the package imports, so the student's layers and the sandwiches over the fast conv are checked
    checked = frame[frame["function"] != "(import)"]
    assert {"affine_relu_forward", "conv_relu_forward", "conv_relu_backward"} <= set(checked["function"])
    assert not checked["function"].str.contains("fast").any()  # the stand-in is never taken for the student's
    assert (checked[checked["function"] != "sgd_momentum"]["status"] == "pass").all()


def test_python2_only_apis_are_not_checked_with_the_reason() -> None:
    frame = check(HERE / "py2fast" / "cs231n", ops="sgd_momentum", **FAST)
    frame = frame[frame["function"] == "sgd_momentum"]
    assert set(frame["status"]) == {"not_checked"} and set(frame["diagnosis"]) == {"python2_source"}
    assert frame["message"].str.contains("iteritems is Python 2 only").all()


def test_the_numpy_fast_layers_stand_in_matches_the_naive_layers() -> None:
    from gradverify.impl.cs231n import layers as naive
    from gradverify.usercode.sandbox import fast_layers_numpy as fast

    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 3, 7, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    conv = {"stride": 2, "pad": 1}
    out, cache = fast.conv_forward_fast(x, w, b, conv)
    want, want_cache = naive.conv_forward_naive(x, w, b, conv)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(out, want, atol=1e-12)
    for got, expected in zip(
        fast.conv_backward_fast(dout, cache), naive.conv_backward_naive(dout, want_cache), strict=True
    ):
        np.testing.assert_allclose(got, expected, atol=1e-12)
    for pool in ({"pool_height": 2, "pool_width": 2, "stride": 2}, {"pool_height": 3, "pool_width": 2, "stride": 1}):
        x = rng.standard_normal((2, 3, 6, 4))
        out, cache = fast.max_pool_forward_fast(x, pool)
        want, want_cache = naive.max_pool_forward_naive(x, pool)
        dout = rng.standard_normal(out.shape)
        np.testing.assert_allclose(out, want)
        np.testing.assert_allclose(
            fast.max_pool_backward_fast(dout, cache), naive.max_pool_backward_naive(dout, want_cache)
        )


def test_the_not_checked_line_names_the_files_that_could_not_be_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = HERE / "pytorch_files" / "cs231n"
    cli.main(["check", str(folder), "--cases", "1", "--dtypes", "float64", "-q", "--out", str(tmp_path)])
    line = next(x for x in capsys.readouterr().out.splitlines() if "not checked:" in x)
    assert "gan_pytorch.py (file)" in line and "(import)" not in line


def test_a_network_still_returning_the_templates_zero_and_empty_grads_is_not_implemented() -> None:
    frame = check(HERE / "unfinished_stub.py", **FAST)
    assert set(frame["status"]) == {"not_implemented"}
    assert frame["message"].str.contains(r"returned \(0, \{\}\)").all()


def test_gradients_left_none_beside_finished_work_are_incomplete_and_the_rest_is_judged() -> None:
    frame = check(HERE / "unfinished_partial.py", ops="two_layer_net,batchnorm", **FAST)
    left = frame[frame["diagnosis"] == "not_returned"]
    assert set(left["status"]) == {"incomplete"}
    assert set(left["quantity"]) == {"dW1", "db1", "dW2", "db2", "dx"}
    done = frame[frame["quantity"].isin(["loss", "scores", "dgamma", "dbeta"])]
    assert not done.empty and (done["status"] == "pass").all()


def test_softmax_variants_that_only_underflow_at_extreme_gaps_are_warnings() -> None:
    frame = check(HERE / "softmax_fragile.py", ops="softmax,softmax_loss", **FAST)
    gap = frame[frame["case"] == "gap"]
    assert not gap.empty and set(gap["status"]) <= {"pass", "warning"} and "warning" in set(gap["status"])
    assert (frame[frame["case"] != "gap"]["status"] == "pass").all(), frame[["function", "case", "message"]]


def test_a_network_without_its_normalization_option_is_incomplete_not_a_bad_return() -> None:
    frame = check(HERE / "unfinished_partial.py", ops="fully_connected_net_layernorm", **FAST)
    left = frame[frame["diagnosis"] == "not_returned"]
    assert set(left["status"]) == {"incomplete"} and set(left["quantity"]) == {"dgamma1", "dbeta1", "dgamma2", "dbeta2"}
    assert "bad_return" not in set(frame["diagnosis"])


def test_when_no_edition_fits_the_failures_are_reported_under_the_closest_one() -> None:
    frame = check(HERE / "linear_2016_no_reg_loss.py", ops="svm", **FAST)
    with_reg = frame[frame["case"] != "ties"]  # ties: reg = 0, every convention agrees
    assert set(with_reg[with_reg["quantity"] == "dW"]["status"]) == {"pass"}
    loss = with_reg[with_reg["quantity"] == "loss"]
    assert set(loss["status"]) == {"fail"} and loss["message"].str.startswith("Closest to the 2016").all()
    assert set(loss["convention"]) == {"2016: 0.5 * reg * sum(W^2), gradient reg * W"}


def test_a_named_bug_stays_a_failure_in_the_robustness_case() -> None:
    frame = check(HERE.parent.parent.parent / "examples" / "layers_buggy.py", ops="softmax_loss", **FAST)
    gap = frame[(frame["case"] == "gap") & (frame["quantity"] == "dx")]
    assert set(gap["status"]) == {"fail"} and set(gap["diagnosis"]) == {"grad_scale"}  # the missing / N
