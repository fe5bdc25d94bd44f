"""Names and messages from user code are shown with their control characters escaped, in every
output: terminal, summary.md, batch.md, report.html, JUnit XML, JSON and CSV."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from gradverify.cli import main as cli
from gradverify.core.display import clean
from gradverify.report import files as report
from gradverify.usercode import batch

EVIL = """import numpy as np


def svm_loss_naive(W, X, y, reg):
    raise ValueError("\\x1b[2J\\x1b[Hall tests passed\\r\\x07")


svm_loss_naive.__qualname__ = "svm_loss_naive\\x1b[2J\\x1b[32m"


def softmax_loss_naive(W, X, y, reg):
    return 0.0, np.zeros_like(W)


softmax_loss_naive.__qualname__ = "soft\\x1b]0;pwned\\x07max\\u202e"
"""

FLAGS = ["--cases", "1", "--dtypes", "float64", "-q"]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[2Jb", "a\\x1b[2Jb"),  # clear screen
        ("line\rover", "line\\x0dover"),  # carriage return overwrites what was printed
        ("bell\x07", "bell\\x07"),
        ("c1\x9bcsi", "c1\\x9bcsi"),  # the one-byte CSI of C1
        ("abc\u202edef", "abc\\u202edef"),  # right-to-left override (Trojan Source)
        ("nul\x00", "nul\\x00"),  # invalid in XML
        ("lone\ud800", "lone\\ud800"),  # a surrogate cannot even be encoded
    ],
)
def test_control_characters_become_visible_escapes(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_ordinary_text_is_unchanged() -> None:
    text = "dW is off by 1/N: divide by N (é, 中文, tab\there, two\nlines)"
    assert clean(text) == text


def no_raw_control(text: str) -> bool:
    return clean(text) == text


def test_a_hostile_name_and_message_are_escaped_in_every_output(tmp_path: Path, capsys) -> None:
    path, out = tmp_path / "evil.py", tmp_path / "out"
    path.write_text(EVIL)
    junit, as_json = tmp_path / "junit.xml", tmp_path / "records.json"
    code = cli.main(["check", str(path), *FLAGS, "--out", str(out), "--junit", str(junit), "--json", str(as_json)])
    assert code == 1
    printed = capsys.readouterr()
    files = [out / report.SUMMARY_FILE, out / report.RESULTS_FILE, out / report.HTML_FILE, junit, as_json]
    for text in [printed.out, printed.err, *(f.read_text() for f in files)]:
        assert "\x1b" not in text and no_raw_control(text)
    assert "svm_loss_naive\\x1b[2J\\x1b[32m" in printed.out  # the name is still there, readable
    results = pd.read_csv(out / report.RESULTS_FILE)
    assert "soft\\x1b]0;pwned\\x07max\\u202e" in set(results["function"])
    assert any("all tests passed" in str(m) for m in results["message"])  # (the worker may mask it already)
    ET.fromstring(junit.read_text())  # well-formed: no control character left in it
    json.loads(as_json.read_text())


def test_a_hostile_submission_name_is_escaped_in_the_batch_tables(tmp_path: Path, capsys) -> None:
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    (folder / "eve\x1b[2J.py").write_text(EVIL)
    assert cli.main(["check", str(folder), *FLAGS, "--out", str(out)]) == 1
    printed = capsys.readouterr()
    for text in [printed.out, printed.err, *(p.read_text() for p in out.iterdir() if p.is_file())]:
        assert "\x1b" not in text
    assert "eve\\x1b[2J" in set(pd.read_csv(out / batch.CSV_FILE)["submission"])
    assert "eve\\x1b[2J" in (out / batch.MARKDOWN_FILE).read_text()


def test_report_escapes_a_results_file_that_holds_raw_control_characters(tmp_path: Path, capsys) -> None:
    path, out = tmp_path / "evil.py", tmp_path / "out"
    path.write_text(EVIL)
    cli.main(["check", str(path), *FLAGS, "--out", str(out)])
    results = out / report.RESULTS_FILE
    results.write_text(results.read_text().replace("\\x1b", "\x1b"))  # as an older gradverify wrote it
    assert cli.main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x1b" not in (out / report.SUMMARY_FILE).read_text()
    assert "\\x1b[2J" in printed
