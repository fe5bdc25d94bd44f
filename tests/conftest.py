"""Shared test settings: Hypothesis runs without deadlines (a check case takes milliseconds,
but the first one in a process pays torch's warm-up), and torch uses one thread, as
`gradverify` does (its thread pool only slows down tiny tensors)."""

import os

import pytest
import torch
from hypothesis import settings

torch.set_num_threads(1)

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch):
    """Runs inside the tests must not append to a real GitHub step summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "venv: builds virtual environments with pip from the package index (tests of --python)"
    )
