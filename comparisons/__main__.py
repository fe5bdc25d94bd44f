"""``python -m gradverify`` is the ``gradverify`` command."""

from gradverify.cli.main import entry

entry()
