"""`python -m nexus_action` runs the CLI."""

from nexus_action.cli import main

raise SystemExit(main())
