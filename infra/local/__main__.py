"""`python -m infra.local`: run the local stack until Ctrl-C or SIGTERM."""

from infra.local.server import main

raise SystemExit(main())
