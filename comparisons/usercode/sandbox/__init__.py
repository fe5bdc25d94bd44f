"""Running a user's own NumPy code in a separate worker process.

The worker imports the user's file and calls it; the parent sends inputs, decodes the plain
numbers that come back, and computes every verdict itself with the ordinary engine. Nothing
from the worker is unpickled or evaluated in the parent.

- ``protocol``: the wire format (JSON header + raw numeric bytes) and value encodings.
- ``worker``: the worker process (``python -m gradverify.usercode.sandbox.worker``).
- ``loader``: worker side: importing a submission, listing and resolving its callables.
- ``bridges``: worker side: adapters for model classes with other APIs.
- ``grading``: the grading-mode import blocker and its outside check.
- ``pool``: parent side: starting, timing out, killing and replacing workers.
- ``interpreter``: parent side: the Python a worker runs in (gradverify's own, or ``--python``).
- ``remote``: parent side: ``RemoteAdapter``, an adapter whose calls go to a worker.

This package must not import torch or the engine at import time: the worker imports it. The
worker side needs only the standard library and NumPy (1.x or 2.x), and Python 3.10+.
"""
