"""Composition root: builds services from settings and adapters, once per container.

Every adapter and service is imported inside the factory that builds it, not at the top: a function
imports this module at init, and each pays only for what it builds (a read endpoint never loads the
push, run or topic repositories, their models, the classifier or httpx). The types are for mypy only.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from connections.settings import require_settings, settings

if TYPE_CHECKING:
    from connections.adapters.dynamodb.api_key_repository import DynamoApiKeyRepository
    from connections.adapters.dynamodb.connection_repository import DynamoConnectionRepository
    from connections.adapters.dynamodb.push_repository import DynamoPushRepository
    from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository
    from connections.adapters.dynamodb.topic_repository import DynamoTopicRepository
    from connections.domain.activation_service import ActivationService
    from connections.domain.api_key_service import ApiKeyService
    from connections.domain.authentication import Authenticator
    from connections.domain.connection import Connection
    from connections.domain.connection_service import ConnectionService
    from connections.domain.connection_testing import ConnectionTester
    from connections.domain.push_service import PushService
    from connections.domain.quotas import Quotas
    from connections.domain.scheduled_sync import ScheduledSyncs
    from connections.domain.sync_page_worker import SyncPageWorker
    from connections.domain.sync_service import SyncService
    from connections.domain.topic_library import TopicLibrary
    from connections.ports.classifier import Classifier
    from connections.ports.credential_cipher import CredentialCipher
    from connections.ports.event_publisher import EventPublisher
    from connections.ports.platforms import PlatformClients, SegmentDestination, SegmentSource
    from connections.ports.session_verifier import SessionVerifier
    from connections.ports.sync_page_queue import SyncPageQueue
    from connections.ports.sync_schedules import SyncSchedules


def dynamodb() -> Any:
    """The container's DynamoDB client, made with the first repository; the functions build what they
    use at init (their app.py), so the client and its service model load before the first request."""
    from connections.adapters.dynamodb.table_client import dynamodb_client

    return dynamodb_client()


@cache
def connection_repository() -> DynamoConnectionRepository:
    from connections.adapters.dynamodb.connection_repository import DynamoConnectionRepository

    return DynamoConnectionRepository(settings().table_name, dynamodb())


@cache
def credential_cipher() -> CredentialCipher:
    """The KMS cipher; imported here so functions that never touch credentials never load the SDK."""
    from connections.adapters.kms_credential_cipher import KmsCredentialCipher

    key_arn = require_settings("CREDENTIALS_KEY_ARN").credentials_key_arn
    assert key_arn is not None  # required just above
    return KmsCredentialCipher(key_arn)


@cache
def connection_service(handles_credentials: bool = False) -> ConnectionService:
    """The connection service; only functions that write credentials ask for the cipher."""
    from connections.domain.connection_service import ConnectionService

    cipher = credential_cipher() if handles_credentials else None
    return ConnectionService(connection_repository(), cipher, schedules=sync_schedules())


@cache
def api_key_repository() -> DynamoApiKeyRepository:
    from connections.adapters.dynamodb.api_key_repository import DynamoApiKeyRepository

    # The client is made on the first API-key lookup: the authorizer's session path never uses it.
    return DynamoApiKeyRepository(settings().table_name)


@cache
def api_key_service() -> ApiKeyService:
    """Key management for /api/keys, over the authorizer's repository."""
    from connections.domain.api_key_service import ApiKeyService

    return ApiKeyService(api_key_repository())


@cache
def session_verifier() -> SessionVerifier:
    """Clerk verification, built on first session request (API-key callers never load it)."""
    from connections.adapters.clerk_session_verifier import ClerkSessionVerifier
    from connections.domain.errors import Unauthenticated

    config = settings()
    if not (config.clerk_jwks_url or config.clerk_jwt_key):
        raise Unauthenticated("Session tokens are not accepted: no verification key is configured")
    return ClerkSessionVerifier(
        jwks_url=config.clerk_jwks_url,
        public_key_pem=config.clerk_jwt_key,
        authorized_parties=config.clerk_authorized_parties,
        issuer=config.clerk_issuer,
    )


@cache
def authenticator() -> Authenticator:
    from connections.domain.authentication import Authenticator

    return Authenticator(api_key_repository(), session_verifier)


@cache
def platform_clients() -> PlatformClients:
    """Platform adapters over the container's one safe HTTP client (httpx loads only here)."""
    from connections.adapters.outbound.safe_client import shared_client
    from connections.adapters.platforms.factory import PlatformClientFactory
    from connections.observability import trace_outbound_calls

    trace_outbound_calls()
    return PlatformClientFactory(shared_client(allow_private_targets=settings().allow_private_targets))


@cache
def connection_tester() -> ConnectionTester:
    from connections.domain.connection_testing import ConnectionTester

    return ConnectionTester(connection_repository(), decrypted_credentials, platform_clients())


@cache
def classifier() -> Classifier:
    from connections.adapters.classifier.rule_based import RuleBasedClassifier

    return RuleBasedClassifier()


@cache
def topic_repository() -> DynamoTopicRepository:
    from connections.adapters.dynamodb.topic_repository import DynamoTopicRepository

    return DynamoTopicRepository(settings().table_name, dynamodb())


@cache
def sync_run_repository() -> DynamoSyncRunRepository:
    from connections.adapters.dynamodb.sync_run_repository import DynamoSyncRunRepository

    return DynamoSyncRunRepository(settings().table_name, dynamodb())


def decrypted_credentials(connection: Connection) -> dict[str, str]:
    """The connection's credentials, decrypted for the current call only (never cached)."""
    ciphertext = connection_repository().get_encrypted_credentials(connection.org_id, connection.id)
    if not ciphertext:
        return {}
    return credential_cipher().decrypt(ciphertext, org_id=connection.org_id, connection_id=connection.id)


def open_source(connection: Connection) -> SegmentSource:
    """The connection's segment source."""
    return platform_clients().source(connection.platform.value, connection.config, decrypted_credentials(connection))


@cache
def quotas() -> Quotas:
    """The organisations' plans and monthly meters (sync pages, run starts, classified topics)."""
    from connections.adapters.dynamodb.usage_meters import DynamoUsageMeters
    from connections.domain.quotas import Quotas

    return Quotas(DynamoUsageMeters(settings().table_name, dynamodb()))


@cache
def event_publisher() -> EventPublisher:
    """Where run and health events go for webhook delivery; nowhere until a delivery is configured."""
    from connections.domain.events import DiscardedEvents

    return DiscardedEvents()


@cache
def sync_service() -> SyncService:
    from connections.domain.sync_service import SyncService

    return SyncService(
        connection_repository(), sync_run_repository(), topic_repository(), open_source, classifier, quotas=quotas()
    )


@cache
def topic_library() -> TopicLibrary:
    from connections.domain.topic_library import TopicLibrary

    return TopicLibrary(topic_repository(), classifier, quotas=quotas())


def open_destination(connection: Connection) -> SegmentDestination:
    """The connection's segment destination."""
    credentials = decrypted_credentials(connection)
    return platform_clients().destination(connection.platform.value, connection.config, credentials, connection.id)


@cache
def push_repository() -> DynamoPushRepository:
    from connections.adapters.dynamodb.push_repository import DynamoPushRepository

    return DynamoPushRepository(settings().table_name, dynamodb())


@cache
def push_service() -> PushService:
    from connections.domain.push_service import PushService

    return PushService(connection_repository(), push_repository(), topic_repository(), open_destination)


@cache
def activation_service() -> ActivationService:
    from connections.adapters.dynamodb.activation_repository import DynamoActivationRepository
    from connections.domain.activation_service import ActivationService

    activations = DynamoActivationRepository(settings().table_name, dynamodb())
    return ActivationService(
        connection_repository(), activations, push_repository(), topic_repository(), open_destination
    )


# -- scheduled syncs ---------------------------------------------------------------------------------


@cache
def sync_schedules() -> SyncSchedules | None:
    """EventBridge Scheduler schedules, for the functions given the schedule settings (create, update,
    delete); None elsewhere. The client is made on first use."""
    config = settings()
    if not (config.schedule_group and config.scheduler_role_arn and config.scheduled_sync_function_arn):
        return None
    from connections.adapters.scheduling.eventbridge_sync_schedules import EventBridgeSyncSchedules

    return EventBridgeSyncSchedules(
        config.schedule_group, config.scheduled_sync_function_arn, config.scheduler_role_arn
    )


@cache
def sync_page_queue() -> SyncPageQueue:
    from connections.adapters.scheduling.sqs_sync_page_queue import SqsSyncPageQueue

    queue_url = require_settings("SYNC_PAGE_QUEUE_URL").sync_page_queue_url
    assert queue_url is not None  # required just above
    return SqsSyncPageQueue(queue_url)


@cache
def scheduled_syncs() -> ScheduledSyncs:
    from connections.domain.scheduled_sync import ScheduledSyncs

    return ScheduledSyncs(sync_service(), connection_repository(), sync_run_repository(), sync_page_queue())


@cache
def sync_page_worker() -> SyncPageWorker:
    from connections.domain.sync_page_worker import SyncPageWorker

    return SyncPageWorker(sync_service(), sync_run_repository(), sync_page_queue())
