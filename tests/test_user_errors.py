"""An exception or a syntax error in the user's code says where: file, line and the source line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gradverify.cli import main as cli


def check(tmp_path: Path, source: str, capsys) -> tuple[pd.DataFrame, str]:
    (tmp_path / "hw.py").write_text(source)
    out = tmp_path / "r"
    cli.main(["check", str(tmp_path / "hw.py"), "--ops", "affine", "--dtypes", "float64", "--out", str(out), "-q"])
    return pd.read_csv(out / "results.csv", keep_default_na=False), capsys.readouterr().out


def test_a_syntax_error_names_the_line(tmp_path: Path, capsys) -> None:
    frame, out = check(
        tmp_path, "import numpy as np\n\ndef affine_forward(x, w, b)\n    return x @ w + b, None\n", capsys
    )
    (message,) = frame.loc[frame["diagnosis"] == "import_error", "message"]
    assert "SyntaxError" in message and "hw.py:3: def affine_forward(x, w, b))" in message
    assert "hw.py:3:" in out


def test_an_exception_names_the_users_line_not_numpys(tmp_path: Path, capsys) -> None:
    source = (
        "import numpy as np\n\n"
        "def helper(x, w):\n    return np.dot(x, w.T)\n\n"
        "def affine_forward(x, w, b):\n    return helper(x.reshape(len(x), -1), w) + b, (x, w, b)\n"
    )
    frame, out = check(tmp_path, source, capsys)
    messages = frame.loc[frame["diagnosis"] == "exception", "message"]
    assert len(messages) > 0
    # the innermost frame in the user's file: helper's line, not a line inside numpy
    assert all("hw.py:4: return np.dot(x, w.T))" in m for m in messages), messages.iloc[0]
    assert "hw.py:4" in out


def test_an_exception_in_a_correct_looking_call_still_has_no_location_from_gradverify(tmp_path: Path, capsys) -> None:
    # the function returns the wrong arity: gradverify raises, not the user's code, so no user line is named
    frame, _ = check(tmp_path, "def affine_forward(x, w, b):\n    return 1\n", capsys)
    bad = frame[frame["status"] == "error"]
    assert len(bad) > 0 and not bad["message"].str.contains(r"\(at .*comparisons/", regex=True).any()
