"""Use cases of the connection endpoints: list, create, get, update, delete."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from connections.domain.access import Caller
from connections.domain.clock import utc_now
from connections.domain.connection import Connection
from connections.domain.connection_config import credential_urls_changed, merge_config, validate_config, with_integers
from connections.domain.connection_size import credential_size_problems, record_size_problems
from connections.domain.credential_shapes import account_id_problems, validate_credentials
from connections.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound
from connections.domain.idempotency import IdempotencyClaim, IdempotentReplay, ensure_same_request
from connections.domain.identifiers import CONNECTION_PREFIX, is_valid_id, new_id
from connections.domain.platforms import ConnectionStatus, Direction, Platform
from connections.ports.connection_repository import ConnectionRepository
from connections.ports.credential_cipher import CredentialCipher
from connections.ports.sync_schedules import SyncSchedules
from connections.profiles.registry import profile_of

if TYPE_CHECKING:  # the routes validate them; the service only reads their fields
    from connections.domain.connection_requests import CreateConnectionRequest, UpdateConnectionRequest
    from connections.domain.list_filters import ConnectionFilters

MAX_CONNECTIONS_PER_ORG = 20


def _raise_if_problems(problems: list[FieldProblem]) -> None:
    if problems:
        raise InvalidInput("Invalid connection", problems)


def _validate(
    platform: Platform,
    direction: Direction,
    config: Mapping[str, Any],
    credentials: Mapping[str, str] | None,
    stored_hold_account_id: bool = False,
) -> None:
    """Config and credentials each, then what they must hold together: an account id the platform's
    pushes need, from either. ``stored_hold_account_id``: the request has no credentials, and the
    stored ones were accepted as holding it (see ``_stored_credentials_hold_account_id``)."""
    problems = validate_config(config, platform, direction)
    if credentials is not None and not any(p.field == "config.auth_type" for p in problems):
        problems += validate_credentials(credentials, platform, config.get("auth_type"))
        problems += credential_size_problems(credentials)
    key = profile_of(platform).push_account_id
    if not problems and key is not None:
        known = credentials if credentials is not None else ({key: "stored"} if stored_hold_account_id else {})
        problems += account_id_problems(platform, direction, config, known)
    _raise_if_problems(problems)


def _stored_credentials_hold_account_id(current: Connection) -> bool:
    """Whether the stored credentials were accepted as holding the platform's account id (such as The
    Trade Desk's provider id): the connection pushed without it in config when they were last checked.
    Otherwise ``ConnectionService._stored_account_id`` decrypts them to look, when it has to."""
    key = profile_of(current.platform).push_account_id
    return key is not None and current.has_credentials and current.direction.pushes and not current.config.get(key)


def _require_credentials_for_new_hosts(current: Mapping[str, Any], updated: Mapping[str, Any]) -> None:
    """Stored credentials stay bound to the hosts they were entered for: a PATCH that points a URL
    they are sent to somewhere else (or drops it for the platform default) must carry them again,
    or whoever may edit a connection could send someone else's secrets to a host of their choosing."""
    changed = [f"config.{key}" for key in credential_urls_changed(current, updated)]
    if changed:
        raise InvalidInput(
            f"changing {' and '.join(changed)} requires the credentials again",
            [FieldProblem(field, f"changing {field} requires the credentials again") for field in changed],
        )


class ConnectionService:
    """Connection use cases for one caller's organisation; credentials go in, never out."""

    def __init__(
        self,
        repository: ConnectionRepository,
        cipher: CredentialCipher | None = None,
        max_connections: int = MAX_CONNECTIONS_PER_ORG,
        schedules: SyncSchedules | None = None,
    ) -> None:
        self._repository = repository
        self._cipher = cipher
        self._max_connections = max_connections
        # Kept in step with config.schedule: the record is the truth, the schedule follows it. The
        # schedule is written first and undone if the record's write fails; it is deleted only
        # after the record no longer names it.
        self._schedules = schedules

    def list(self, caller: Caller, filters: ConnectionFilters) -> list[Connection]:
        """The organisation's connections, optionally filtered by direction and platform."""
        return [
            connection
            for connection in self._repository.list_for_org(caller.org_id)
            if (filters.direction is None or connection.direction is filters.direction)
            and (filters.platform is None or connection.platform is filters.platform)
        ]

    def get(self, caller: Caller, connection_id: str) -> Connection:
        """One connection of the caller's organisation (404 for any other)."""
        if not is_valid_id(connection_id, CONNECTION_PREFIX):
            raise NotFound("Connection not found")
        connection = self._repository.get(caller.org_id, connection_id)
        if connection is None:
            raise NotFound("Connection not found")
        return connection

    def create(
        self, caller: Caller, request: CreateConnectionRequest, idempotency: IdempotencyClaim | None = None
    ) -> Connection:
        """Validate, encrypt the credentials for this record, and store it within the org's limit."""
        config = with_integers({key: value for key, value in request.config.items() if value is not None})
        _validate(request.platform, request.direction, config, request.credentials)
        now = utc_now()
        connection = Connection(
            id=new_id(CONNECTION_PREFIX),
            org_id=caller.org_id,
            name=request.name,
            platform=request.platform,
            direction=request.direction,
            config=config,
            status=ConnectionStatus.ACTIVE,
            created_at=now,
            updated_at=now,
            has_credentials=bool(request.credentials),
        )
        _raise_if_problems(record_size_problems(connection))
        ciphertext = self._encrypt(connection, request.credentials)
        schedule = config.get("schedule")
        if schedule:
            self._schedule_registry().put(connection.org_id, connection.id, schedule, exists=False)
        try:
            self._repository.create(connection, ciphertext, self._max_connections, idempotency)
        except IdempotentReplay as replay:
            assert idempotency is not None
            self._undo_schedule(connection, None, schedule)
            return self._replayed(caller, idempotency, replay)
        except BaseException:
            self._undo_schedule(connection, None, schedule)
            raise
        return connection

    def update(self, caller: Caller, connection_id: str, request: UpdateConnectionRequest) -> Connection:
        """Apply a partial update; config merges key by key and the result is validated whole."""
        given = request.model_fields_set
        nulls = [FieldProblem(name, "must not be null") for name in sorted(given) if getattr(request, name) is None]
        _raise_if_problems(nulls)
        if not given:
            raise InvalidInput("Request body must contain at least one field to change")
        current = self.get(caller, connection_id)
        if request.platform is not None and request.platform is not current.platform:
            raise InvalidInput(
                "Invalid connection", [FieldProblem("platform", "cannot be changed; create a new connection")]
            )
        direction = request.direction or current.direction
        config = current.config
        if request.config is not None:
            config = with_integers(merge_config(current.config, request.config))
        vouched = _stored_credentials_hold_account_id(current) or (
            request.credentials is None and self._stored_account_id(current, direction, config)
        )
        _validate(current.platform, direction, config, request.credentials, vouched)
        if current.has_credentials and request.credentials is None:
            _require_credentials_for_new_hosts(current.config, config)
        updated = current.changed(
            name=request.name or current.name,
            direction=direction,
            config=config,
            updated_at=utc_now(),
            version=current.version + 1,
            has_credentials=bool(request.credentials) if request.credentials is not None else current.has_credentials,
        )
        _raise_if_problems(record_size_problems(updated))
        ciphertext = self._encrypt(updated, request.credentials)
        old = current.config.get("schedule")
        new = config.get("schedule")
        # A schedule the caller names explicitly is written again even when unchanged, which repairs
        # a schedule an earlier failure left behind; other edits never touch the scheduler.
        named = request.config is not None and "schedule" in request.config
        if new and (new != old or named):
            self._schedule_registry().put(current.org_id, current.id, new, exists=old is not None)
        try:
            self._repository.replace(updated, current.version, ciphertext)
        except BaseException:
            if new and (new != old or named):
                self._undo_schedule(current, old, new)
            raise
        if not new and (old or named) and (old or self._schedules is not None):
            self._schedule_registry().remove(current.org_id, current.id)
        return updated

    def delete(self, caller: Caller, connection_id: str) -> None:
        """Delete the connection and its credentials, freeing its slot, then its sync schedule."""
        try:
            connection = self.get(caller, connection_id)
        except NotFound:
            # A retried delete whose first attempt removed the record but not the schedule tidies up.
            if self._schedules is not None and is_valid_id(connection_id, CONNECTION_PREFIX):
                self._schedules.remove(caller.org_id, connection_id)
            raise
        self._repository.delete(connection)
        if connection.direction.pulls and (connection.config.get("schedule") or self._schedules is not None):
            self._schedule_registry().remove(connection.org_id, connection.id)

    def _replayed(self, caller: Caller, claim: IdempotencyClaim, replay: IdempotentReplay) -> Connection:
        """The connection a repeated Idempotency-Key made; a 409 when it was deleted since.

        Not a replay of the first 201: that would announce a connection that no longer exists (its id
        answers 404), and the caller retrying a create wants one to exist. The key stays spent for its
        24 hours, so the caller is told to send a new one, which creates a new connection."""
        try:
            return self.get(caller, ensure_same_request(claim, replay))
        except NotFound:
            raise Conflict(
                "The connection created with this Idempotency-Key was deleted; "
                "use a new Idempotency-Key to create another"
            ) from None

    def _schedule_registry(self) -> SyncSchedules:
        if self._schedules is None:  # a wiring mistake: only create, update and delete manage schedules
            raise RuntimeError("this function is not configured to manage sync schedules")
        return self._schedules

    def _undo_schedule(self, connection: Connection, before: str | None, written: str | None) -> None:
        """Put the schedule back as it was before ``written`` was put; the caller's error is the one reported."""
        if not written or self._schedules is None:
            return
        with contextlib.suppress(Exception):
            if before:
                self._schedules.put(connection.org_id, connection.id, before, exists=True)
            else:
                self._schedules.remove(connection.org_id, connection.id)

    def _stored_account_id(self, current: Connection, direction: Direction, config: Mapping[str, Any]) -> bool:
        """Whether the stored credentials hold the account id a PATCH without credentials leaves the
        connection needing (config no longer has it, or the connection starts pushing): they are
        decrypted to look only then, once, so the caller need not enter them again."""
        key = profile_of(current.platform).push_account_id
        if key is None or not direction.pushes or config.get(key) or not current.has_credentials:
            return False
        if self._cipher is None:  # a wiring mistake, as in _encrypt
            raise RuntimeError("this function is not configured to handle credentials")
        ciphertext = self._repository.get_encrypted_credentials(current.org_id, current.id)
        if ciphertext is None:
            return False
        stored = self._cipher.decrypt(ciphertext, org_id=current.org_id, connection_id=current.id)
        return bool(stored.get(key))

    def _encrypt(self, connection: Connection, credentials: Mapping[str, str] | None) -> bytes | None:
        if credentials is None:
            return None
        if self._cipher is None:  # a wiring mistake, not a caller's: read-only functions get no cipher
            raise RuntimeError("this function is not configured to handle credentials")
        return self._cipher.encrypt(credentials, org_id=connection.org_id, connection_id=connection.id)
