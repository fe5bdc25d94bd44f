"""Student-style submissions the tests build from the project's own files, instead of
keeping copies of them in tests/submissions/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).parent / "submissions"
IMPL_MODULES = (
    "linear_svm",
    "softmax",
    "layers",
    "conv_layers",
    "fast_layers",
    "normalization",
    "dropout",
    "layer_utils",
    "conv_layer_utils",
    "norm_layer_utils",
    "fc_net",
    "cnn",
    "matrix_example",
    "rnn_layers",
    "optim",
)
# an import of another impl module, or a re-export list, possibly spanning several lines
_LOCAL = re.compile(r"^(from \.\S+ import (\([^)]*\)|.*)|__all__ = \[[^\]]*\])[^\n]*\n", re.MULTILINE)


def impl_as_one_file(path: Path) -> Path:
    """Every function and class of impl/ in one file, as a student who keeps all their work in
    a single module would submit it (the imports between impl modules removed)."""
    parts = ["from __future__ import annotations\n"]
    for name in IMPL_MODULES:
        source = (ROOT / "impl" / "cs231n" / f"{name}.py").read_text()
        source = source.replace("from __future__ import annotations\n", "")
        parts.append(f"\n# --- impl/{name}.py\n" + _LOCAL.sub("", source))
    path.write_text("".join(parts))
    return path


def seed_twolayer_with_x_fixed(path: Path) -> Path:
    """The seeds' softmax TwolayerNet with only its first bug fixed (the global ``x`` read in
    the forward pass), so that the remaining bugs show as failures rather than an exception."""
    source = (SUBMISSIONS / "seed_twolayer_softmax.py").read_text()
    fixed = source.replace("np.dot(x, W1)", "np.dot(X, W1)")
    assert fixed != source, "the seed's global-x bug moved: update this fixer"
    path.write_text(fixed)
    return path
