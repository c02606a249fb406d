"""The AWS clients of one Lambda container, all made from one botocore session.

botocore, not boto3: a client is the same either way (``boto3.client`` hands its arguments to
``botocore.session.Session.create_client``), but importing the boto3 package also loads s3transfer,
multiprocessing and the resource layer, 30 to 40 ms of every cold start that no function uses.

One session: a botocore session loads the endpoint rules, the service list and each service model
once, through its loader's cache. The DynamoDB client and the Encryption SDK's KMS client share it, so
a function that handles credentials reads those files once, not once per client.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config

# Short timeouts: a call that hangs should fail the request well before API Gateway's 30 s.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def botocore_session() -> botocore.session.Session:
    """The container's session (region and credentials from the environment, as boto3's default)."""
    return botocore.session.Session()


def new_client(service_name: str, config: Config = CLIENT_CONFIG) -> Any:
    """A client of ``service_name`` from the container's session (thread-safe; callers keep it)."""
    return botocore_session().create_client(service_name, config=config)
