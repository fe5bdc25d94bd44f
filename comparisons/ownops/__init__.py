"""Checking a user's own ops, with no registry and no change to gradverify.

- ``api``: ``verify`` and ``assert_verified``, one op against its torch reference.
- ``declaration``: a user's op as data (``declare``) and the ``@op`` decorator, for ops that
  ``gradverify run --module``, ``check --declarations``, ``explain`` and the pytest plugin
  pick up (``usercode.declared`` finds them in a module).
- ``inputs``: how inputs are drawn: shapes of named dimensions and strategies (``labels``,
  ``mask``, ``positive``, ...).

Importing this package or ``declaration`` does not import torch (``api`` does), so a user's
module decorated with ``@gradverify.op`` imports without torch where it runs.
"""
