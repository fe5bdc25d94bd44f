"""``python -m comparisons`` is the ``gradverify`` command."""

from comparisons.cli import main

raise SystemExit(main())
