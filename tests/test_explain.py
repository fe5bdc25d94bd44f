"""`gradverify explain`: a failing function's smallest case, triangulated and diagnosed."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from bugzoo import MUTANTS
from gradverify.cli import main as cli
from gradverify.core.spec import Variant
from gradverify.explanation import search as explaining
from gradverify.run.sweep import run_replay
from gradverify.specs import registry


def mutant_spec(name: str):
    (mutant,) = [m for m in MUTANTS if m.name == name]
    (spec,) = [s for s in registry.select(None) if s.name == mutant.op]
    return spec.with_variants(Variant(mutant.name, mutant.adapter))


@pytest.fixture
def only(monkeypatch):
    """Make the registry answer with one mutant, as if it were the user's function."""

    def install(name: str):
        spec = mutant_spec(name)
        monkeypatch.setattr(registry, "select", lambda names: [spec])
        return spec

    return install


def test_seed_two_layer_net_bug_is_shrunk_and_explained() -> None:
    result = explaining.explain(mutant_spec("seed_preactivation_bug"), ["float64"], budget=60, reproduce=run_replay)
    assert result.failed and result.dtype == "float64"
    # the smallest shapes the sampler can draw: N = 1 and one or two features and units
    assert result.size <= 16
    loss = next(r for r in result.records if r.quantity == "loss")
    assert (loss.status, loss.diagnosis, loss.blame) == ("fail", "forward_mismatch", "forward")
    text = explaining.render(result)
    assert "Triangulation" in text and "Reference stages" in text and "relu" in text


def test_sign_slip_is_blamed_on_the_backward_pass(only, capsys, tmp_path: Path) -> None:
    only("sign_flip")
    code = cli.main(
        [
            "explain",
            "svm:sign_flip",
            "--budget",
            "30",
            "--json",
            str(tmp_path / "e.json"),
            "--plot",
            str(tmp_path / "e.png"),
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "grad_sign" in out and "the backward pass is wrong" in out
    assert "worst elements" in out and "error pattern" in out
    data = json.loads((tmp_path / "e.json").read_text())
    dW = next(r for r in data["records"] if r["quantity"] == "dW")
    assert (dW["diagnosis"], dW["blame"], dW["fd_verdict"]) == ("grad_sign", "backward", "disagree")
    assert data["stages"] and all("value" in s for s in data["stages"])
    image = mpimg.imread(tmp_path / "e.png")
    assert image.ndim == 3 and image.shape[0] > 100


def test_printed_replay_command_reproduces_the_minimal_case(only, capsys, tmp_path: Path) -> None:
    only("sign_flip")
    assert cli.main(["explain", "svm:sign_flip", "--budget", "20", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    replay = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Replay it: "))
    argv = shlex.split(replay)
    assert cli.main([*argv[1:], "--out", str(tmp_path)]) == 1
    again = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Explain this case again"))
    assert cli.main(shlex.split(again)[1:]) == 1
    assert capsys.readouterr().out.count("Smallest failing case") == 1


def test_correct_function_still_shows_the_references_stages_on_a_small_case(capsys) -> None:
    assert cli.main(["explain", "affine_backward", "--budget", "5"]) == 0
    out = capsys.readouterr().out
    assert "No failure in 10 cases" in out and "The smallest case searched, for reading:" in out
    assert "Reference stages on this case" in out and "1. " in out and "grad" in out
    assert "Triangulation" in out and "fail" not in out.split("Triangulation")[1].split("Reference")[0]


def test_unknown_function_is_bad_usage(capsys) -> None:
    assert cli.main(["explain", "no_such_function"]) == 2
    assert "unknown op" in capsys.readouterr().err


def test_heatmap_marks_exact_and_largest_entries() -> None:
    # log scale over four decades: 1e-3 of the largest is level 2 of 9
    assert explaining.heatmap([[0.0, 1e-3, 1.0]]) == ["   0 | :@|"]


def test_users_file_is_explained_in_the_sandbox(capsys, tmp_path: Path) -> None:
    """The seeds' TwolayerNet, its global-x slip fixed: the remaining pre-activation bug is
    found, shrunk and explained, with commands that replay it on the same file."""
    from generated_submissions import seed_twolayer_with_x_fixed

    path = seed_twolayer_with_x_fixed(tmp_path / "twolayer.py")
    argv = [
        "explain",
        "TwoLayerNet",
        "--file",
        str(path),
        "--map",
        "TwoLayerNet=TwolayerNet",
        "--budget",
        "15",
        "--dtype",
        "float64",
    ]
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert "TwolayerNet" in out and "forward_mismatch" in out
    replay = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Replay it: "))
    assert shlex.split(replay)[:3] == ["gradverify", "check", str(path)]
    assert cli.main([*shlex.split(replay)[1:], "-q", "--out", str(tmp_path / "r")]) == 1
    again = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Explain this case again"))
    assert cli.main(shlex.split(again)[1:]) == 1


def test_unreadable_file_is_bad_usage(capsys, tmp_path: Path) -> None:
    assert cli.main(["explain", "svm_loss_naive", "--file", str(tmp_path / "missing.py")]) == 2
    assert "missing.py" in capsys.readouterr().err
