"""`python -m supervisor` runs the supervisor from the source tree (the one-file build runs `main` too)."""

from supervisor.main import main

raise SystemExit(main())
