"""One Logger, Tracer and Metrics for every function (service name and namespace come from Globals).

The Tracer patches botocore alone at init, not every library the X-Ray SDK knows (its default): that
would import httpx, sqlite3 and the rest into every function's init, read endpoints included. The
functions that call platforms patch httpx when they build their client (``trace_outbound_calls``).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()


def trace_outbound_calls() -> None:
    """Patch httpx for X-Ray (platform calls appear as subsegments); before the first client is built."""
    tracer.patch(modules=("httpx",))


__all__ = ["MetricUnit", "logger", "metrics", "trace_outbound_calls", "tracer"]
