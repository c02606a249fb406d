"""A client of the published authentication page, over real HTTP on the local server: it creates an API
key with its session, uses it, lists it (no secret, lastUsedAt set), revokes it, and is refused with it
at once; and the limit of 25 active keys holds under concurrent creates (the stack's moto serves one
request at a time, as DynamoDB runs each transaction atomically)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.local_stack import LocalStack, bearer, unique_org


def test_create_use_list_revoke_over_http(local_stack: LocalStack) -> None:
    org_id = unique_org()
    owner = bearer(local_stack.session_token(org_id, role="owner"))
    with httpx.Client(base_url=local_stack.base_url, timeout=30) as http:
        created = http.post("/api/keys", json={"name": "Reporting job", "scopes": ["sync"]}, headers=owner)
        assert created.status_code == 201, created.text
        key, key_id = created.json()["key"], created.json()["id"]

        used = http.get("/api/connections", headers=bearer(key))
        listed = http.get("/api/keys", headers=owner)
        revoked = http.delete(f"/api/keys/{key_id}", headers=owner)
        after = http.get("/api/connections", headers=bearer(key))
        again = http.delete(f"/api/keys/{key_id}", headers=owner)

    assert used.status_code == 200
    assert listed.status_code == 200
    assert key not in listed.text and key[6:] not in listed.text
    (record,) = listed.json()
    assert record["id"] == key_id
    assert record["prefix"] == key[:10]
    assert record["lastUsedAt"] is not None
    assert record["revokedAt"] is None
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    assert after.status_code == 401
    assert after.json() == {"error": "API key has been revoked"}
    assert again.status_code == 200 and again.json() == revoked.json()


def test_thirty_two_concurrent_creates_leave_exactly_twenty_five(local_stack: LocalStack) -> None:
    org_id = unique_org()
    admin = bearer(local_stack.session_token(org_id, role="admin"))

    def create(number: int) -> int:
        body = {"name": f"Concurrent {number}", "scopes": ["sync"]}
        return httpx.post(f"{local_stack.base_url}/api/keys", json=body, headers=admin, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = sorted(pool.map(create, range(32)))

    assert statuses == [201] * 25 + [409] * 7
    listed = httpx.get(f"{local_stack.base_url}/api/keys", headers=admin, timeout=30).json()
    assert len(listed) == 25


def test_members_viewers_and_api_keys_may_not_manage_keys(local_stack: LocalStack) -> None:
    org_id = unique_org()
    refused = [
        bearer(local_stack.session_token(org_id, role="member")),
        bearer(local_stack.session_token(org_id, role="viewer")),
        bearer(local_stack.api_key(org_id)),
    ]
    with httpx.Client(base_url=local_stack.base_url, timeout=30) as http:
        statuses = [
            (
                http.post("/api/keys", json={"name": "x", "scopes": ["sync"]}, headers=headers).status_code,
                http.get("/api/keys", headers=headers).status_code,
            )
            for headers in refused
        ]

    assert statuses == [(403, 403)] * 3
