"""`python -m infra.local`: run the local stack until Ctrl-C or SIGTERM."""

import os
import sys

from infra.local.server import main

code = main()
# Everything is stopped and saved by now; freeing a heap of thousands of orders object by
# object at interpreter exit took seconds of the 5-second stop budget.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
