"""`python -m supervisor` runs the supervisor from the source tree (the PyInstaller build runs `main` too)."""

from supervisor.main import main

raise SystemExit(main())
