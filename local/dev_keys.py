"""The local stand-in for Clerk: an RSA key pair kept under ``.local/``, its JWKS, and session tokens.

The key pair is created once and reused, so tokens stay valid across restarts of the dev server.
``CONNECTIONS_DEV_DIR`` moves the directory (the end-to-end tests use a temporary one).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.sam_template import PROJECT_ROOT

SESSION_ISSUER = "https://clerk.local.dev"
AUTHORIZED_PARTY = "http://localhost:3000"
KEY_FILE_NAME = "session_signing_key.pem"
DEFAULT_TTL_SECONDS = 24 * 3600


def dev_directory() -> Path:
    """Where local-only state lives (gitignored)."""
    return Path(os.environ.get("CONNECTIONS_DEV_DIR") or PROJECT_ROOT / ".local")


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    kid: str

    def public_jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
        }

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The key set the authorizer fetches from ``CLERK_JWKS_URL``."""
        return {"keys": [self.public_jwk()]}


def _thumbprint(private_key: rsa.RSAPrivateKey) -> str:
    # RFC 7638 thumbprint: a kid that follows the key, so a replaced key file never reuses an old kid.
    numbers = private_key.public_key().public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()[:16]


def _create_key_file(path: Path) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_bytes(pem)
    draft.chmod(0o600)
    try:
        # link() fails if another process got there first; theirs wins and both use the same key.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def signing_key(directory: Path | None = None) -> SigningKey:
    """The local session signing key, created on first use."""
    path = (directory or dev_directory()) / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return SigningKey(private_key, _thumbprint(private_key))


def session_token(
    key: SigningKey,
    org_id: str,
    user_id: str = "user_dev",
    role: str = "admin",
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> str:
    """A Clerk v2 session JWT for ``user_id`` acting in ``org_id`` with ``role`` (``admin`` or ``org:admin``)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        "sid": f"sess_{secrets.token_hex(12)}",
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "azp": AUTHORIZED_PARTY,
        "iss": SESSION_ISSUER,
        "v": 2,
        "o": {"id": org_id, "rol": role.removeprefix("org:"), "slg": org_id.lower().replace("_", "-")},
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
