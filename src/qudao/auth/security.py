"""Password hashing (Argon2), signed bearer tokens (JWT, HS256) and API key secrets."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from qudao.db import utcnow

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _hasher.hash("qudao-dummy-password")
API_KEY_PREFIX = "qk_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_token(secret: str, *, user_id: int, username: str, minutes: int) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "name": username,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


# Tokens whose signature was verified: token -> (user id, expiry as a timestamp). A client sends the same
# token with every request, and the HMAC check plus claims parsing is a visible share of a fast request.
# Only the outcome of the signature check is remembered: expiry is checked on every use, and whether the
# user is still active is read from the database by the caller every time. Keyed by secret too.
_VERIFIED: dict[tuple[str, str], tuple[int, float]] = {}
_VERIFIED_MAX = 4096


def read_token(secret: str, token: str) -> int | None:
    """The user id in a valid, unexpired token, else None."""
    known = _VERIFIED.get((secret, token))
    if known is not None:
        return known[0] if utcnow().timestamp() < known[1] else None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        user_id, expires = int(claims["sub"]), float(claims["exp"])
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()  # crude but bounded; verified tokens are cheap to verify again
    _VERIFIED[(secret, token)] = (user_id, expires)
    return user_id


def new_api_key() -> tuple[str, str, str]:
    """(full key shown once, public prefix for lookup, sha256 digest stored)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    full = f"{API_KEY_PREFIX}{prefix}_{secret}"
    return full, prefix, digest(full)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
