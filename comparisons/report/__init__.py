"""Views of a run's records, written at the edge as text.

- ``tables``: per-op summaries, failures, timings and the Markdown summary (pure views).
- ``files``: the report folder (results.csv, run.json, summary.md, report.html), atomically.
- ``html``, ``plots``: report.html and its figures; ``junit``: JUnit XML for CI.
- ``run_diff``, ``run_diff_html``: what changed between two runs.
"""
