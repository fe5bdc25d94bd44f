"""Text from user code made safe to show: in a terminal, Markdown, HTML, XML and CSV.

A function name, a message or a path can come from a submission, which controls every byte of
it. Raw, an ``ESC [2J`` clears the terminal (and can hide failures), a carriage return
overwrites the line, a bidirectional override reorders what a reader sees, and any C0 control
but tab and newline makes XML invalid. ``clean`` keeps the data but replaces each such
character by a visible escape (``ESC`` becomes the four characters ``\\x1b``), so the text
stays readable and greppable. It is lossy on purpose: a display, not an encoding (a backslash
is not escaped, so ``\\x1b`` typed by the user looks the same as a real ESC).
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls except tab and newline, DEL, C1 controls; bidi marks, embeddings, overrides and
# isolates (Trojan Source); lone surrogates and the two non-characters XML forbids
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` with every control or reordering character replaced by a visible escape."""
    return _UNSAFE.sub(_escape, text)


def clean_value(value: Any) -> Any:
    """``clean`` for strings; any other value as it is."""
    return clean(value) if isinstance(value, str) else value
