"""Credentials are encrypted with KMS, bound to their record, and never leave the service."""

from __future__ import annotations

import os
import sys

import boto3
import botocore.session
import pytest

from local.provision import LocalResources
from tests.integration.conftest import ApiClient, inbound_connection, outbound_liveramp

SECRETS = ("ext_api_key_s3cr3t_value_123", "lr_secret_TOPSECRET_42", "rotated-S3CRET-value-77")


def stored_item(resources: LocalResources, org_id: str, connection_id: str) -> dict:
    return boto3.client("dynamodb").get_item(
        TableName=resources.table_name, Key={"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": f"CONN#{connection_id}"}}
    )["Item"]


def counting_session(calls: list[str]) -> botocore.session.Session:
    session = botocore.session.Session()
    session.register("before-call.kms", lambda **event: calls.append(event["model"].name))
    return session


def test_ciphertext_at_rest_decrypts_only_for_its_own_record(api: ApiClient, aws: LocalResources) -> None:
    from connections.adapters.kms_credential_cipher import KmsCredentialCipher
    from connections.domain.errors import CredentialsUnreadable

    first = api.post("/api/connections", inbound_connection()).json()["id"]
    second = api.post("/api/connections", inbound_connection(name="Second")).json()["id"]
    item = stored_item(aws, "org_a", first)
    ciphertext = item["credentialsCiphertext"]["B"]

    assert SECRETS[0].encode() not in ciphertext
    assert SECRETS[0] not in str(item)
    cipher = KmsCredentialCipher(aws.key_arn)
    assert cipher.decrypt(ciphertext, org_id="org_a", connection_id=first) == {"api_key": SECRETS[0]}
    with pytest.raises(CredentialsUnreadable):
        cipher.decrypt(ciphertext, org_id="org_a", connection_id=second)
    with pytest.raises(CredentialsUnreadable):
        cipher.decrypt(ciphertext, org_id="org_b", connection_id=first)
    with pytest.raises(CredentialsUnreadable):
        cipher.decrypt(ciphertext[:-8] + b"\x00" * 8, org_id="org_a", connection_id=first)


def test_patch_replaces_credentials_and_keeps_them_otherwise(api: ApiClient, aws: LocalResources) -> None:
    from connections.adapters.kms_credential_cipher import KmsCredentialCipher

    connection_id = api.post("/api/connections", inbound_connection()).json()["id"]
    cipher = KmsCredentialCipher(aws.key_arn)

    api.patch(f"/api/connections/{connection_id}", {"name": "Renamed"})
    kept = stored_item(aws, "org_a", connection_id)["credentialsCiphertext"]["B"]
    api.patch(f"/api/connections/{connection_id}", {"credentials": {"token": SECRETS[2]}})
    replaced = stored_item(aws, "org_a", connection_id)["credentialsCiphertext"]["B"]

    assert cipher.decrypt(kept, org_id="org_a", connection_id=connection_id) == {"api_key": SECRETS[0]}
    assert cipher.decrypt(replaced, org_id="org_a", connection_id=connection_id) == {"token": SECRETS[2]}


def test_delete_destroys_the_ciphertext(api: ApiClient, aws: LocalResources) -> None:
    connection_id = api.post("/api/connections", inbound_connection()).json()["id"]

    api.delete(f"/api/connections/{connection_id}")

    items = boto3.client("dynamodb").scan(TableName=aws.table_name)["Items"]
    assert not any("credentialsCiphertext" in item for item in items)


def test_kms_calls_are_one_per_encrypt_and_cached_on_decrypt(aws: LocalResources) -> None:
    from connections.adapters.kms_credential_cipher import KmsCredentialCipher

    calls: list[str] = []
    cipher = KmsCredentialCipher(aws.key_arn, botocore_session=counting_session(calls))

    ciphertext = cipher.encrypt({"api_key": "k"}, org_id="org_a", connection_id="conn_1")
    assert calls == ["GenerateDataKey"]
    for _ in range(3):
        cipher.decrypt(ciphertext, org_id="org_a", connection_id="conn_1")
    assert calls == ["GenerateDataKey", "Decrypt"]


def test_no_secret_in_any_response_or_log(api: ApiClient, captured_logs) -> None:
    created = [
        api.post("/api/connections", inbound_connection()).json()["id"],
        api.post("/api/connections", outbound_liveramp()).json()["id"],
    ]
    api.get("/api/connections")
    for connection_id in created:
        api.get(f"/api/connections/{connection_id}")
        api.patch(f"/api/connections/{connection_id}", {"credentials": {"token": SECRETS[2]}})
        api.patch(f"/api/connections/{connection_id}", {"credentials": {"bogus": SECRETS[2]}})
    api.post("/api/connections", inbound_connection(credentials={"api_key": 123, "x": SECRETS[2]}))
    api.post("/api/connections", inbound_connection(name=""))
    for connection_id in created:
        api.delete(f"/api/connections/{connection_id}")

    logs = captured_logs.getvalue()
    everything = "\n".join(
        [response.text for response in api.responses] + [str(response.headers) for response in api.responses] + [logs]
    )
    assert len(api.responses) == 13
    assert "credentialsCiphertext" not in everything
    for secret in SECRETS:
        assert secret not in everything
    # The logs were captured (with org ids), so the checks above mean something.
    assert logs.count('"org_id":"org_a"') >= 13


def test_read_only_functions_do_not_load_the_encryption_sdk() -> None:
    import subprocess

    script = (
        "import sys; sys.path[:0] = ['layers/shared', '.'];"
        "from local.api_gateway import load_handler; from pathlib import Path;"
        "[load_handler(Path('functions') / name) for name in ('list_connections', 'get_connection', "
        "'delete_connection', 'authorizer')];"
        "print('aws_encryption_sdk' in sys.modules)"
    )
    environment = os.environ | {"TABLE_NAME": "connections", "ALLOWED_ORIGINS": ""}  # checked at init
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment)
    assert result.stdout.strip() == "False"
