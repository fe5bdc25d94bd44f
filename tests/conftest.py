"""Shared test settings: Hypothesis runs without deadlines (a check case takes milliseconds,
but the first one in a process pays torch's warm-up), and torch uses one thread, as
`gradverify` does (its thread pool only slows down tiny tensors)."""

import os

import torch
from hypothesis import settings

torch.set_num_threads(1)

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
