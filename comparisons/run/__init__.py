"""Running many cases: the one case plan, and where its batches are computed and kept.

- ``plan``: cases, tasks (op x case x dtype, in the one order every runner uses) and the
  command that replays a case; ``threads``: the one place thread counts are pinned.
- ``sweep``: the cases of a plan computed in this process; ``parallel``: on local worker
  processes; ``distributed``: on a Dask cluster; ``dispatch``: picks one of the three.
- ``sinks``, ``record_store``: records streamed to disk with a bounded summary in memory;
  ``progress``: the progress bar; ``run_info``: what a run records about itself.
"""
