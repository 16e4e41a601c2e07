"""One Logger, Tracer and Metrics for the whole package (service name from POWERTOOLS_*)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

# What the functions call out to: AWS through botocore, Stripe through http.client (urllib).
# Tracer() alone would run X-Ray's patch_all, which imports every library it can patch that
# happens to be installed (requests, sqlite3, …) on every cold start, and still skips httplib.
# botocore's connections (urllib3 2) do not go through http.client's request path, so an AWS
# call is traced once, by the botocore patch.
TRACED_MODULES = ("botocore", "httplib")

logger = Logger()
tracer = Tracer(patch_modules=TRACED_MODULES)
metrics = Metrics()
