"""`python -m bench` (`make bench`).

The functions' environment is set before anything imports atelier, as Lambda sets it before
the runtime imports a handler (powertools reads it when Logger and Metrics are created). The
functions' own output (JSON logs, metrics) goes to /dev/null; the report to stdout, progress
to stderr.
"""

import os
import sys

from bench.env import function_environment

os.environ.update(function_environment())
report = sys.stdout
sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process

from bench.run import main  # noqa: E402 - after the environment is set

raise SystemExit(main(sys.argv[1:], out=report))
