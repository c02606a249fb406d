"""The local stand-in for Clerk: an RSA key pair kept under ``.local/``, its JWKS, and session tokens.

The key pair is created once and reused, so tokens stay valid across restarts of the dev server.
``CONNECTIONS_DEV_DIR`` moves the directory (the end-to-end tests use a temporary one). Tests and
benchmarks that need no files sign with ``SigningKey.generate()``: the project's one token minter.
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

    @classmethod
    def generate(cls) -> SigningKey:
        """A new key held in memory only (its ``public_pem`` goes into ``CLERK_JWT_KEY``)."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(private_key, _thumbprint(private_key))

    @property
    def public_pem(self) -> str:
        public_key = self.private_key.public_key()
        return public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

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

    def token(
        self,
        org: str | None,
        user_id: str = "user_dev",
        role: str = "admin",
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        **claims: Any,
    ) -> str:
        """A Clerk v2 session JWT for ``user_id`` acting in ``org`` with ``role`` (``admin`` or ``org:admin``).

        ``org`` None leaves out the organisation claim; ``claims`` add or replace claims (v1 tokens,
        a foreign ``azp``, an ``iss``), and a claim given as None is left out."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": user_id,
            "sid": f"sess_{secrets.token_hex(12)}",
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "azp": AUTHORIZED_PARTY,
            "iss": SESSION_ISSUER,
            "v": 2,
        }
        if org is not None:
            payload["o"] = {"id": org, "rol": role.removeprefix("org:"), "slg": org.lower().replace("_", "-")}
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def _thumbprint(private_key: rsa.RSAPrivateKey) -> str:
    # RFC 7638 thumbprint: a kid that follows the key, so a replaced key file never reuses an old kid.
    numbers = private_key.public_key().public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()[:16]


def _create_key_file(path: Path) -> None:
    pem = SigningKey.generate().private_key.private_bytes(
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
