"""Which op a course submission's names bind: names several DLS assignments use (and the
utility modules' helpers) go with the assignment the rest of the file is from, and MyTorch's
padded convolutions only with code whose constructor takes ``padding``."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pandas as pd

import gradverify.impl.dls.deep_nn as nn
import gradverify.impl.dls.regularization as reg
from gradverify.cli import main as cli
from gradverify.specs import HELPER_NAMES, registry
from gradverify.usercode.assignments import by_assignment

SUBMISSIONS = Path(__file__).parent / "submissions"
DLS = registry.COURSES["dls"]
# reg_utils' activations as a regularization notebook export that pastes its helpers defines them
REG_UTILS_HELPERS = """

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)
"""


def export(tmp_path: Path, module, name: str, extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(
        Path(inspect.getfile(module)).read_text().replace("from __future__ import annotations\n", "") + extra
    )
    return path


def check(path: Path, out: Path, *flags: str) -> tuple[int, pd.DataFrame]:
    code = cli.main(["check", str(path), "--cases", "1", "--dtypes", "float64", "--out", str(out), *flags])
    return code, pd.read_csv(out / "results.csv")


def test_a_regularization_export_binds_its_own_ops_not_week_3s_or_week_4s(tmp_path: Path, capsys) -> None:
    """reg_utils' forward_propagation (3 layers), compute_cost, backward_propagation(X, Y, cache),
    sigmoid(x) and relu(x) share the names of week 3's and week 4's graded functions."""
    path = export(tmp_path, reg, "Regularization.py", REG_UTILS_HELPERS)
    code, frame = check(path, tmp_path / "r", "--course", "dls")
    assert code == 0, frame[frame["status"].isin(["fail", "error"])]
    assert set(frame[frame["status"] == "pass"]["op"]) == {"dls.l2_regularization", "dls.dropout"}
    printed = capsys.readouterr()
    text = printed.out + printed.err
    for op in ("dls.planar", "dls.relu", "dls.sigmoid"):
        assert f"{op} not checked" in text and "dls.regularization" in text


def test_without_the_shared_names_filter_the_same_export_would_fail_as_week_3(tmp_path: Path) -> None:
    """--ops names the op: the choice is the user's, and reg_utils' 3-layer forward is not week 3's."""
    path = export(tmp_path, reg, "Regularization.py", REG_UTILS_HELPERS)
    code, frame = check(path, tmp_path / "r", "--ops", "dls.planar")
    assert code == 1 and set(frame["op"]) == {"dls.planar"}
    assert (frame["status"] == "error").any()


def test_a_week_4_export_keeps_its_activations_and_a_bare_planar_file_its_planar_op(tmp_path: Path) -> None:
    code, frame = check(export(tmp_path, nn, "Deep_NN.py"), tmp_path / "r")
    assert code == 0 and {"dls.relu", "dls.sigmoid", "dls.planar", "dls.L_model"} <= set(frame["op"])
    planar = "\n\n".join(
        inspect.getsource(getattr(nn, f)) for f in ("forward_propagation", "compute_cost", "backward_propagation")
    )
    path = tmp_path / "planar.py"
    path.write_text("import numpy as np\n\n\n" + planar.replace("np.floating", "float"))
    code, frame = check(path, tmp_path / "p", "--course", "dls")
    assert code == 0 and set(frame["op"]) == {"dls.planar"}


def test_shared_names_alone_say_nothing_and_a_distinctive_name_decides() -> None:
    shared = ["forward_propagation", "compute_cost", "backward_propagation", "relu", "sigmoid"]
    kept, notes = by_assignment(DLS, shared, HELPER_NAMES)
    assert kept == list(DLS) and not notes
    kept, notes = by_assignment(DLS, [*shared, "linear_backward"], HELPER_NAMES)
    # week 4's code: its own helpers, and its forward_propagation is no regularization notebook's
    assert {s.name for s in DLS} - {s.name for s in kept} == {"dls.l2_regularization", "dls.dropout"}
    assert not notes  # those could not have been called without their graded functions anyway
    kept, _ = by_assignment(DLS, [*shared, "backward_propagation_with_dropout"], HELPER_NAMES)
    assert {"dls.planar", "dls.relu", "dls.sigmoid"}.isdisjoint(s.name for s in kept)
    # CS231n keeps every op whatever names it shares
    cs231n = registry.COURSES["cs231n"]
    assert by_assignment(cs231n, ["affine_forward", "relu_forward"], HELPER_NAMES) == (list(cs231n), [])


def test_padded_convolutions_are_matched_only_to_code_that_takes_padding(tmp_path: Path, capsys) -> None:
    root = tmp_path / "hw"
    root.mkdir()
    for name in ("conv_padding", "conv_no_padding"):
        shutil.copy(SUBMISSIONS / "mytorch_conv" / f"{name}.py", root / f"{name}.py")
        code, frame = check(root / f"{name}.py", tmp_path / name, "--course", "mytorch")
        assert code == 0, frame[frame["status"] != "pass"]
        checked = set(frame[frame["status"] == "pass"]["op"])
        padded = name == "conv_padding"
        assert checked == {"mytorch.conv1d_stride1", "mytorch.conv1d", *(("mytorch.conv1d_padded",) if padded else ())}
    printed = capsys.readouterr()
    assert "mytorch.conv1d_padded:padding not checked: Conv1d takes no padding" in printed.out + printed.err
