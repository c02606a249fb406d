"""Index Exchange: file-based segment registration, taxonomy files in S3 (sources:
adapters/platforms/indexexchange.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connections.domain.config_checks import ConfigKey, matching
from connections.domain.platforms import Platform
from connections.profiles._naming import MARKUP
from connections.profiles.profile import ClientBuilder, Config, Credentials, CredentialShape, NameRules, PlatformProfile

if TYPE_CHECKING:
    from connections.adapters.platforms.auth import RequestAuth
    from connections.ports.platforms import SegmentDestination

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Path segments joined by single slashes, no leading slash (as openapi.yaml states it, without lookaheads).
_S3_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*/?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]$")


def _delivery(value: Any) -> str | None:
    if value == "sftp":
        return "sftp is documented by Index Exchange but not built here; use s3"
    return None if value == "s3" else "must be s3"


def _s3_prefix(value: Any) -> str | None:
    return matching(_S3_PREFIX, "an S3 key prefix such as taxonomy/ (no leading '/', no '//')", 512)(value)


def _auth(builder: ClientBuilder, config: Config, credentials: Credentials) -> RequestAuth:
    from connections.adapters.platforms.indexexchange import indexexchange_auth

    return indexexchange_auth(config, credentials, builder.http, builder.tokens)


def _destination(builder: ClientBuilder, config: Config, credentials: Credentials) -> SegmentDestination:
    from connections.adapters.platforms.indexexchange import IndexExchangeDestination, s3_client_factory

    return IndexExchangeDestination(s3_client_factory(config, credentials), config)


PROFILE = PlatformProfile(
    platform=Platform.INDEXEXCHANGE,
    display_name="Index Exchange",
    # Username + API key exchanged for a one-hour token (inbound reads), and/or AWS keys that write
    # the taxonomy files to the connection's S3 bucket (without them: the function's own role).
    credentials=CredentialShape(
        frozenset({"username", "key", "aws_access_key_id", "aws_secret_access_key"}),
        (frozenset({"username", "key"}), frozenset({"aws_access_key_id", "aws_secret_access_key"})),
    ),
    # externalSegmentName is at most 255 UTF-8 characters.
    name_rules=NameRules(255, 500, MARKUP),
    default_template="iab_code",
    push_concurrency=8,
    priced=False,
    auth=_auth,
    destination=_destination,
    config_keys={
        "delivery": ConfigKey(_delivery, outbound=True),
        "s3_bucket": ConfigKey(
            matching(_S3_BUCKET, "an S3 bucket name (3-63 lowercase letters, digits, '.' or '-')", 63), outbound=True
        ),
        "s3_prefix": ConfigKey(_s3_prefix, outbound=True),
        "s3_role_arn": ConfigKey(
            matching(_ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/writer", 600), outbound=True
        ),
        "s3_region": ConfigKey(matching(_REGION, "an AWS region such as us-east-1", 32), outbound=True),
    },
    required_outbound_keys={"s3_bucket": "is required: Index Exchange takes taxonomy files from S3"},
)
