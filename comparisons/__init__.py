"""gradverify: check hand-derived NumPy gradients against torch.autograd, and explain failures.

The public API, a thin facade over the layered engine (``core`` < ``specs`` < ``run`` <
``report`` < ``usercode`` < ``explanation`` < ``cli``)::

    import gradverify

    frame = gradverify.check("hw/layers.py")        # a DataFrame of records, one per quantity
    gradverify.explain("affine_backward", "hw/layers.py")
    gradverify.assert_verified(swish_forward, swish_backward,   # your own op (docs/own-ops.md)
                               reference=lambda x: x * torch.sigmoid(x), inputs={"x": ("N", "D")})

Names load on first use, so ``import gradverify`` (and ``gradverify --help``) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # checking code
    "check": "gradverify.usercode.check",
    "check_many": "gradverify.usercode.check",
    "explain": "gradverify.explanation.targets",
    "Explanation": "gradverify.explanation.search",
    # checking your own ops (docs/own-ops.md)
    "verify": "gradverify.ownops.api",
    "assert_verified": "gradverify.ownops.api",
    "VerificationFailed": "gradverify.ownops.api",
    "op": "gradverify.ownops.declaration",
    "Declaration": "gradverify.ownops.declaration",
    "DeclarationError": "gradverify.ownops.declaration",
    "labels": "gradverify.ownops.inputs",
    "mask": "gradverify.ownops.inputs",
    "normal": "gradverify.ownops.inputs",
    "positive": "gradverify.ownops.inputs",
    "uniform": "gradverify.ownops.inputs",
    # declaring ops
    "declare": "gradverify.core.declare",
    "OpSpec": "gradverify.core.spec",
    "Variant": "gradverify.core.spec",
    "Statistic": "gradverify.core.spec",
    "Roles": "gradverify.core.roles",
    "Sample": "gradverify.core.sampling",
    "Tolerance": "gradverify.core.tolerances",
    "LossGrad": "gradverify.core.adapters",
    "ForwardBackward": "gradverify.core.adapters",
    "ModelLoss": "gradverify.core.adapters",
    "UpdateRule": "gradverify.core.adapters",
    # results
    "Record": "gradverify.core.records",
    "Status": "gradverify.core.status",
}
_RENAMED = {"declare": "op"}  # facade name -> its name in the defining module

__all__ = [
    "__version__",
    "assert_verified",
    "check",
    "check_many",
    "Declaration",
    "DeclarationError",
    "declare",
    "explain",
    "Explanation",
    "ForwardBackward",
    "labels",
    "LossGrad",
    "mask",
    "ModelLoss",
    "normal",
    "op",
    "OpSpec",
    "positive",
    "Record",
    "Roles",
    "Sample",
    "Statistic",
    "Status",
    "Tolerance",
    "uniform",
    "UpdateRule",
    "Variant",
    "VerificationFailed",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # pyproject.toml is the one place the version is written
        from importlib.metadata import version

        return version("gradverify")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gradverify' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load lazily
    from gradverify.core.adapters import ForwardBackward, LossGrad, ModelLoss, UpdateRule
    from gradverify.core.declare import op as declare
    from gradverify.core.records import Record
    from gradverify.core.roles import Roles
    from gradverify.core.sampling import Sample
    from gradverify.core.spec import OpSpec, Statistic, Variant
    from gradverify.core.status import Status
    from gradverify.core.tolerances import Tolerance
    from gradverify.explanation.search import Explanation
    from gradverify.explanation.targets import explain
    from gradverify.ownops.api import VerificationFailed, assert_verified, verify
    from gradverify.ownops.declaration import Declaration, DeclarationError, op
    from gradverify.ownops.inputs import labels, mask, normal, positive, uniform
    from gradverify.usercode.check import check, check_many
