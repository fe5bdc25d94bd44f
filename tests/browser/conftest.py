"""Registers the ``browser`` marker here, beside the only tests that use it, so the default
``pytest`` run knows it; ``tox -e browser`` runs just these (``pytest -m browser``)."""


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "browser: opens report.html in headless Chromium (skipped without chromium)")
