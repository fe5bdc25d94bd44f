"""Checking a user's own code: find what it provides, run it isolated, judge it here.

- ``submissions``: what a path names (a file, a package, a batch folder of students).
- ``discovery``: which registry ops a submission provides, as specs whose variants call it.
- ``sandbox``: the worker process that runs the user's code, and the parent's side of it.
- ``check``: ``check``/``check_many``, records of one submission or a batch; ``batch``:
  the per-submission table of a batch.
"""
