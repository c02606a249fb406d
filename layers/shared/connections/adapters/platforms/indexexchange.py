"""Index Exchange: API tokens (inbound reads), and segment registration by taxonomy files on S3.

What Index Exchange documents:

- "Sending segment files to Index using Amazon S3 buckets"
  (https://kb.indexexchange.com/integration_partners/file_upload_integration/sending_files_using_S3.htm):
  the data partner owns an S3 bucket, creates an IAM role that trusts Index's internal role with an
  S3 read policy (ListBucket/GetObject) on it and shares the role ARN with Index. Every segment must
  be registered before segment data is sent, "using an API or by uploading a taxonomy file". A
  taxonomy file is valid JSON ``{"version": "2.0", "segments": [{"externalSegmentID",
  "externalSegmentName", ...}]}``, at most 30 kB ("if all segments cannot fit within this limit, we
  recommend using multiple taxonomy files"); ``externalSegmentID`` and ``externalSegmentName`` are at
  most 255 characters each, UTF-8.
- "Sending segment files to Index using SFTP"
  (https://kb.indexexchange.com/integration_partners/file_upload_integration/audience_file_format_reference.htm)
  is the other documented channel (segment data + meta file pairs).
- "View a list of registered segments"
  (https://kb.indexexchange.com/marketplace_vendors/segments/view_segment.htm): a registered segment
  is Active or Paused, has Index's own segment id besides the external one, and a standard fee (CPM)
  that is required for public permissions; these are managed in the Index UI.
- Tokens: ``POST https://auth.indexexchange.com/auth/oauth/token`` returns an ``accessToken``, a
  Bearer token for the API that expires after one hour, for the API key generated on the user's
  profile page of the Index UI (credential ``key``, with the Index UI login as ``username``). Public
  client code sends ``{"username", "key"}`` as JSON and reads ``data.accessToken`` from
  ``{"responseCode": 200, "data": {...}}``. Only inbound reads (the paged REST source) use it now.
- AudienceGPT's integration guide (https://docs.audiencegpt.ai/integrations/tradedesk, "Trade Desk &
  Index Exchange Integration") calls Index Exchange "file-based segment uploads".

How pushes map onto that (README, "Platforms"):

- Delivery is per connection: ``config.delivery`` ``s3`` (the default and the only channel built;
  ``sftp`` is refused at setup with a 400 saying so) to ``config.s3_bucket`` under
  ``config.s3_prefix``, written with the credentials ``aws_access_key_id`` +
  ``aws_secret_access_key`` (encrypted like every credential) or the function's own role, after
  assuming ``config.s3_role_arn`` when it is set.
- Each segment push writes one taxonomy file, ``{s3_prefix}audiencegpt-{externalSegmentID}.json``,
  holding that segment: the activation of a topic is its file, active once S3 accepted the write.
  The object key is fixed per segment, so a retry or a re-push (an update: a new name) rewrites the
  same file and never registers a segment twice. ``taxonomy_files`` splits a longer list into files
  of at most 30 kB.
- The platform segment id is our ``externalSegmentID`` (the topic id): Index's own id is not
  returned by a file upload.
- Deactivation: the taxonomy file documents no status field, and a later file without the segment
  does not unregister it; ``deactivate_segment`` writes nothing and says to pause the segment in the
  Index UI.

Assumed, because the pages available to the project do not say (confirm with Index before relying
on pushes): that Index picks taxonomy files up from the same bucket as segment files, at the prefix
agreed with Index; that the object name is free; that a file re-registering a known
``externalSegmentID`` updates its name; that "30 kB" means 30,000 bytes of UTF-8 JSON (the smaller
reading); that the entry fields past the two documented ones are not needed (none are sent).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from connections.adapters.outbound.safe_client import SafeHttpClient
from connections.adapters.platforms.auth import TokenAuth
from connections.adapters.platforms.platform_errors import IncompleteConnection, UndocumentedOperation
from connections.adapters.platforms.token_cache import IssuedToken, TokenCache, token_cache_key
from connections.adapters.platforms.token_requests import request_token, seconds
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import DeadlineExceeded, UpstreamStatusError, UpstreamUnavailable
from connections.ports.platforms import PushedSegment, SegmentSpec

DISPLAY_NAME = "Index Exchange"
DEFAULT_TOKEN_URL = "https://auth.indexexchange.com/auth/oauth/token"  # noqa: S105 - an endpoint, not a secret
TOKEN_LIFETIME = 3600.0
TAXONOMY_VERSION = "2.0"
MAX_FIELD_CHARACTERS = 255
MAX_FILE_BYTES = 30_000
FILE_PREFIX = "audiencegpt-"
# S3 calls are short; a slow bucket must not hold a push batch past its deadline.
S3_TIMEOUT_SECONDS = 5.0
# S3 error codes that mean "try again later" (answered with 503 or 500).
_TRANSIENT_S3_CODES = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling"})


def read_token(document: Any) -> IssuedToken | None:
    """``accessToken`` (under ``data`` or at the top), living one hour unless the answer says otherwise."""
    if not isinstance(document, dict):
        return None
    nested = document.get("data")
    data: dict[str, Any] = nested if isinstance(nested, dict) else document
    token = data.get("accessToken")
    if not isinstance(token, str):
        return None
    lifetime = seconds(data.get("expiresIn", data.get("expires_in")), TOKEN_LIFETIME)
    return IssuedToken(token, lifetime)


def indexexchange_auth(
    config: Mapping[str, Any], credentials: Mapping[str, str], http: SafeHttpClient, cache: TokenCache
) -> TokenAuth:
    """Bearer tokens for username + API key from the Index Exchange token endpoint."""
    username, key = credentials.get("username"), credentials.get("key")
    if not (username and key):
        raise IncompleteConnection("Index Exchange needs the credentials username and key")
    token_url = str(config.get("token_url") or DEFAULT_TOKEN_URL)
    body = {"username": username, "key": key}
    secrets = (username, key)

    def issue(deadline: Deadline) -> IssuedToken:
        return request_token(http, token_url, deadline, read_token, json=body, secrets=secrets)

    return TokenAuth(
        cache=cache,
        cache_key=token_cache_key("indexexchange", token_url, credentials),
        issue=issue,
        secret_values=secrets,
    )


def taxonomy_entry(segment: SegmentSpec) -> dict[str, str]:
    """One segment as a taxonomy-file entry; ids and names past 255 characters are refused, not cut."""
    for field, value in (("externalSegmentID", segment.external_id), ("externalSegmentName", segment.name)):
        if not value or len(value) > MAX_FIELD_CHARACTERS:
            raise IncompleteConnection(f"Index Exchange takes a {field} of 1 to {MAX_FIELD_CHARACTERS} characters")
    return {"externalSegmentID": segment.external_id, "externalSegmentName": segment.name}


def _document(entries: list[dict[str, str]]) -> bytes:
    return json.dumps({"version": TAXONOMY_VERSION, "segments": entries}, ensure_ascii=False).encode()


def taxonomy_files(entries: Iterable[dict[str, str]]) -> list[bytes]:
    """The entries as taxonomy files of at most MAX_FILE_BYTES each, in order.

    One entry is at most ~1.6 kB (two 255-character fields of up to 3 bytes each, escaped), so every
    entry fits a file of its own; each file is filled until the next entry would not fit."""
    files: list[bytes] = []
    current: list[dict[str, str]] = []
    size = len(_document([]))
    for entry in entries:
        entry_size = len(json.dumps(entry, ensure_ascii=False).encode()) + 2  # ", " between entries
        if current and size + entry_size > MAX_FILE_BYTES:
            files.append(_document(current))
            current, size = [], len(_document([]))
        current.append(entry)
        size += entry_size
    if current:
        files.append(_document(current))
    return files


S3ClientFactory = Callable[[], Any]


class IndexExchangeDestination:
    """Registers segments with Index Exchange by taxonomy files in the connection's S3 bucket."""

    display_name = DISPLAY_NAME

    def __init__(self, s3_client: S3ClientFactory, config: Mapping[str, Any]) -> None:
        self._s3_client = s3_client  # built on first use: a connection test or a push
        bucket = config.get("s3_bucket")
        if not bucket:
            raise IncompleteConnection("Index Exchange needs config.s3_bucket to deliver taxonomy files")
        self._bucket = str(bucket)
        self._prefix = str(config.get("s3_prefix") or "")

    def test(self, deadline: Deadline) -> str:
        """The bucket exists and the connection's identity may reach it."""
        self._call(deadline, "head_bucket", Bucket=self._bucket)
        return f"Connected to {DISPLAY_NAME} taxonomy bucket"

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        entry = taxonomy_entry(segment)  # raises before any write when the entry is invalid
        self._write(entry, deadline)
        return PushedSegment(entry["externalSegmentID"])

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        entry = taxonomy_entry(segment)
        if entry["externalSegmentID"] != platform_segment_id:
            raise IncompleteConnection("Index Exchange segment ids cannot change once registered")
        self._write(entry, deadline)
        return PushedSegment(platform_segment_id)

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        raise UndocumentedOperation(
            "Index Exchange taxonomy files document no status; pause the segment in the Index UI"
        )

    def object_key(self, external_id: str) -> str:
        """Where a segment's taxonomy file goes: one fixed key per segment, so rewrites replace it."""
        return f"{self._prefix}{FILE_PREFIX}{external_id}.json"

    def _write(self, entry: dict[str, str], deadline: Deadline) -> None:
        (document,) = taxonomy_files([entry])
        self._call(
            deadline,
            "put_object",
            Bucket=self._bucket,
            Key=self.object_key(entry["externalSegmentID"]),
            Body=document,
            ContentType="application/json",
        )

    def _call(self, deadline: Deadline, operation: str, **arguments: Any) -> Any:
        """One S3 call, its failures as the outbound errors the services understand."""
        from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

        if deadline.expired:
            raise DeadlineExceeded(0)
        try:
            return getattr(self._s3_client(), operation)(**arguments)
        except ClientError as failure:
            error = failure.response.get("Error", {})
            code = str(error.get("Code") or "")
            status = int(failure.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            if code in _TRANSIENT_S3_CODES and status < 500:
                status = 503
            shown = code if code.isalnum() and len(code) <= 64 else "an error"
            raise UpstreamStatusError(status, f"S3 bucket {self._bucket} answered {shown} (HTTP {status})") from None
        except (ConnectTimeoutError, ReadTimeoutError):
            raise DeadlineExceeded(S3_TIMEOUT_SECONDS) from None
        except BotoCoreError:
            raise UpstreamUnavailable(f"S3 bucket {self._bucket} could not be reached") from None


def s3_client_factory(config: Mapping[str, Any], credentials: Mapping[str, str]) -> S3ClientFactory:
    """Builds the S3 client once, on first use: the connection's keys (or the function's role), then
    ``s3_role_arn`` assumed when set."""
    built: list[Any] = []

    def client() -> Any:
        if built:
            return built[0]
        import boto3
        from botocore.config import Config

        settings = Config(
            connect_timeout=S3_TIMEOUT_SECONDS, read_timeout=S3_TIMEOUT_SECONDS, retries={"max_attempts": 2}
        )
        keys: dict[str, str] = {}
        if credentials.get("aws_access_key_id") and credentials.get("aws_secret_access_key"):
            keys = {
                "aws_access_key_id": credentials["aws_access_key_id"],
                "aws_secret_access_key": credentials["aws_secret_access_key"],
            }
        region = config.get("s3_region")
        session = boto3.session.Session(region_name=str(region) if region else None, **keys)
        role = config.get("s3_role_arn")
        if role:
            assumed = session.client("sts", config=settings).assume_role(
                RoleArn=str(role), RoleSessionName="connections-indexexchange"
            )["Credentials"]
            session = boto3.session.Session(
                region_name=str(region) if region else None,
                aws_access_key_id=assumed["AccessKeyId"],
                aws_secret_access_key=assumed["SecretAccessKey"],
                aws_session_token=assumed["SessionToken"],
            )
        built.append(session.client("s3", config=settings))
        return built[0]

    return client
