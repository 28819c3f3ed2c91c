"""Carrier webhook secrets: kept encrypted (AES-256-GCM, key derived from the server secret by HKDF),
checked by HMAC-SHA256 over the raw request body in constant time. Secrets never reach logs or replies
after the one answer that hands a newly generated secret over."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"qudao carrier webhook secrets v1"


def _key(server_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(server_key.encode())


def encrypt(server_key: str, secret: str, carrier_code: str) -> str:
    """nonce + ciphertext, base64; the carrier code is bound as associated data (no swapping rows)."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(server_key)).encrypt(nonce, secret.encode(), carrier_code.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(server_key: str, token: str, carrier_code: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    return AESGCM(_key(server_key)).decrypt(raw[:12], raw[12:], carrier_code.encode()).decode()


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body: what a carrier sends in ``X-Qudao-Signature`` (``sha256=<hex>``)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, sent: str) -> bool:
    sent = sent.strip()
    if sent.startswith("sha256="):
        sent = sent[len("sha256="):]
    return hmac.compare_digest(signature(secret, body), sent.lower())
