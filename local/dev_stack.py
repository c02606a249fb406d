"""The dev stack's AWS side: an embedded moto server, boto3 pointed at it, the template's resources in
it, and the environment the functions would get from template.yaml."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from local.api_gateway import LAYER_PATH
from local.dev_keys import AUTHORIZED_PARTY, SESSION_ISSUER
from local.provision import (
    LocalResources,
    create_credentials_key,
    create_schedule_group,
    create_sync_queues,
    create_table,
    local_function_arn,
    local_role_arn,
)
from local.sam_template import functions, load_template

HOST = "127.0.0.1"
REGION = "us-east-1"
TABLE_NAME = "connections-local"
KEY_ALIAS = "alias/connections-credentials-local"
SCHEDULE_GROUP = "connections-local-syncs"
PAGE_QUEUE = f"{TABLE_NAME}-sync-pages"
DEAD_LETTER_QUEUE = f"{TABLE_NAME}-sync-pages-dlq"
SCHEDULED_SYNC_FAILURE_QUEUE = f"{TABLE_NAME}-scheduled-sync-failures"
JWKS_PATH = "/.well-known/jwks.json"


class DevStackError(RuntimeError):
    """The local stack cannot start or be reached; the message says what to change."""


@dataclass(frozen=True)
class DevPorts:
    """Where the API and moto listen; ``PORT`` and ``MOTO_PORT`` as ``make dev`` reads them."""

    api: int
    moto: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> DevPorts:
        return cls(api=int(environ.get("PORT") or 3000), moto=int(environ.get("MOTO_PORT") or 5000))

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api}"

    @property
    def moto_url(self) -> str:
        return f"http://{HOST}:{self.moto}"


def use_layer() -> None:
    """Make the shared layer's ``connections`` package importable, as Lambda does with /opt/python."""
    if str(LAYER_PATH) not in sys.path:
        sys.path.insert(0, str(LAYER_PATH))


def point_boto3_at(moto_url: str) -> None:
    """Send every boto3/botocore client of this process to moto, with dummy credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )


def moto_is_running(moto_url: str) -> bool:
    """True when a moto server answers at ``moto_url``; an unrelated server there is an error."""
    try:
        with urllib.request.urlopen(f"{moto_url}/moto-api/config", timeout=2) as response:  # noqa: S310
            json.load(response)
            return True
    except ConnectionRefusedError:
        return False
    except urllib.error.URLError as error:
        if isinstance(error.reason, ConnectionRefusedError):
            return False
        raise DevStackError(f"{moto_url} answers, but not as a moto server ({error}); set MOTO_PORT") from None
    except ValueError:
        raise DevStackError(f"{moto_url} answers, but not as a moto server; set MOTO_PORT") from None


class EmbeddedMoto:
    """A moto server in a thread of this process. Single-threaded on purpose: moto's in-memory
    DynamoDB transactions are not thread-safe, so requests are served one at a time."""

    def __init__(self, port: int) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from local import moto_transactions

        moto_transactions.apply()
        # werkzeug logs every moto request; the API's own log lines are the interesting ones.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(HOST, port, app, threaded=False, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    def start(self) -> EmbeddedMoto:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def ensure_resources() -> LocalResources:
    """The template's table and KMS key in moto, created unless a running moto already holds them."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    try:
        dynamodb.describe_table(TableName=TABLE_NAME)
    except dynamodb.exceptions.ResourceNotFoundException:
        create_table(TABLE_NAME, dynamodb)
    kms = boto3.client("kms")
    try:
        key_arn = kms.describe_key(KeyId=KEY_ALIAS)["KeyMetadata"]["Arn"]
    except kms.exceptions.NotFoundException:
        key_arn = create_credentials_key(kms)
        kms.create_alias(AliasName=KEY_ALIAS, TargetKeyId=key_arn)
    sqs = boto3.client("sqs")
    try:
        for queue in (PAGE_QUEUE, SCHEDULED_SYNC_FAILURE_QUEUE):
            sqs.get_queue_url(QueueName=queue)
    except sqs.exceptions.QueueDoesNotExist:
        # Creating a queue that exists with the same attributes is a no-op.
        create_sync_queues(TABLE_NAME, sqs)
    scheduler = boto3.client("scheduler")
    try:
        scheduler.get_schedule_group(Name=SCHEDULE_GROUP)
    except scheduler.exceptions.ResourceNotFoundException:
        create_schedule_group(SCHEDULE_GROUP, scheduler)
    return existing_resources()


def existing_resources() -> LocalResources:
    """The resources of a running dev stack (boto3 must already point at its moto)."""
    import boto3

    boto3.client("dynamodb").describe_table(TableName=TABLE_NAME)
    key_arn = boto3.client("kms").describe_key(KeyId=KEY_ALIAS)["KeyMetadata"]["Arn"]
    sqs = boto3.client("sqs")
    boto3.client("scheduler").get_schedule_group(Name=SCHEDULE_GROUP)
    return LocalResources(
        table_name=TABLE_NAME,
        key_arn=key_arn,
        sync_page_queue_url=sqs.get_queue_url(QueueName=PAGE_QUEUE)["QueueUrl"],
        sync_page_dead_letter_queue_url=sqs.get_queue_url(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"],
        schedule_group=SCHEDULE_GROUP,
        scheduler_role_arn=local_role_arn("connections-local-scheduler"),
        scheduled_sync_function_arn=local_function_arn("ScheduledSyncFunction"),
        scheduled_sync_failure_queue_url=sqs.get_queue_url(QueueName=SCHEDULED_SYNC_FAILURE_QUEUE)["QueueUrl"],
    )


def _resolve(value: Any, known: Mapping[str, str]) -> str | None:
    """A variable's value with Ref/GetAtt replaced by local names; None when it refers to the unknown."""
    if isinstance(value, str | int | float | bool):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and "Ref" in value:
        return known.get(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return known.get(".".join(value["Fn::GetAtt"]))
    return None


def template_environment(resources: LocalResources, function_ids: Iterable[str] | None = None) -> dict[str, str]:
    """Globals plus the functions' own variables, resolved for local resources (all functions by default).

    Parameters take their template defaults; a variable that refers to a resource the local stack
    does not create is left out and reported on stderr.
    """
    template = load_template()
    known = {name: str(spec.get("Default", "")) for name, spec in (template.get("Parameters") or {}).items()}
    known |= {"ConnectionsTable": resources.table_name, "CredentialsKey.Arn": resources.key_arn}
    scheduled_syncs = {
        "SyncPageQueue": resources.sync_page_queue_url,
        "SyncPageDeadLetterQueue": resources.sync_page_dead_letter_queue_url,
        "ScheduledSyncFailureQueue": resources.scheduled_sync_failure_queue_url,
        "SyncScheduleGroup": resources.schedule_group,
        "SchedulerInvokeRole.Arn": resources.scheduler_role_arn,
        "ScheduledSyncFunction.Arn": resources.scheduled_sync_function_arn,
    }
    known |= {name: value for name, value in scheduled_syncs.items() if value}
    known |= {"AWS::Region": REGION, "AWS::AccountId": "123456789012", "AWS::StackName": "connections-local"}
    declared = functions(template)
    sources = [((template.get("Globals") or {}).get("Function") or {})]
    sources += [declared[name].get("Properties", {}) for name in (function_ids or declared)]
    environment: dict[str, str] = {}
    for source in sources:
        for name, value in ((source.get("Environment") or {}).get("Variables") or {}).items():
            resolved = _resolve(value, known)
            if resolved is None:
                print(f"warning: {name} refers to {value}, which the local stack does not create", file=sys.stderr)
            else:
                environment[name] = resolved
    return environment


def allowed_origins(environ: Mapping[str, str] = os.environ) -> str:
    """The local API's browser origins (comma-separated): ``ALLOWED_ORIGINS`` from the shell, else the
    local front end's; CORS and the CSRF rule both use them, as AllowedOrigins does on AWS."""
    return environ.get("ALLOWED_ORIGINS", AUTHORIZED_PARTY)


def allow_private_targets(environ: Mapping[str, str] = os.environ) -> str:
    """``CONNECTIONS_ALLOW_PRIVATE_TARGETS`` for local functions: on unless the shell sets it (``0`` turns
    the outbound address rules back on, to see what a deployed function would refuse)."""
    return environ.get("CONNECTIONS_ALLOW_PRIVATE_TARGETS", "1")


def local_overrides(ports: DevPorts, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """What differs from AWS locally: the local Clerk stand-in, origins, private targets, no X-Ray."""
    return {
        "CLERK_JWKS_URL": f"{ports.api_url}{JWKS_PATH}",
        "CLERK_JWT_KEY": "",
        "CLERK_AUTHORIZED_PARTIES": AUTHORIZED_PARTY,
        "CLERK_ISSUER": SESSION_ISSUER,
        "ALLOWED_ORIGINS": allowed_origins(environ),
        "CONNECTIONS_ALLOW_PRIVATE_TARGETS": allow_private_targets(environ),
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "connections",
        "POWERTOOLS_METRICS_NAMESPACE": "Connections",
    }


def apply_function_environment(
    ports: DevPorts, resources: LocalResources, function_ids: Iterable[str] | None = None
) -> None:
    """Set the functions' environment in this process (a log level already set in the shell wins)."""
    environment = template_environment(resources, function_ids) | local_overrides(ports)
    if os.environ.get("POWERTOOLS_LOG_LEVEL"):
        environment.pop("POWERTOOLS_LOG_LEVEL", None)
    os.environ.update(environment)
