"""Checking a user's own ops: ``verify``/``assert_verified`` for one op, ``declare`` and the
``@op`` decorator for ops that ``gradverify run --module``, ``check --declarations``, ``explain``
and the pytest plugin pick up, and the input strategies (``labels``, ``mask``, ...)."""

from gradverify.ownops.api import DEFAULT_CASES, VerificationFailed, assert_verified, verify
from gradverify.ownops.declaration import Declaration, DeclarationError, declare, op
from gradverify.ownops.inputs import labels, mask, normal, positive, uniform

__all__ = [
    "DEFAULT_CASES",
    "Declaration",
    "DeclarationError",
    "VerificationFailed",
    "assert_verified",
    "declare",
    "labels",
    "mask",
    "normal",
    "op",
    "positive",
    "uniform",
    "verify",
]
