"""Shared test settings: Hypothesis runs without deadlines (a check case takes milliseconds,
but the first one in a process pays torch's warm-up)."""

import os

from hypothesis import settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
