"""Receipt codes: 16 random digits, stored only as a keyed Argon2id hash.

The hash must be findable from the code alone, so its salt is derived from the installation
secret (a pepper) rather than random: without the secret the hashes cannot be brute-forced
offline, and with it each guess still costs one Argon2id computation.

Parameters were chosen by measurement on the 2-core reference machine (bench/receipt_hash.py):
time_cost=2, memory_cost=32 MiB, parallelism=1 takes about 80 ms (t=2/m=19 MiB: 37 ms,
t=3/m=32 MiB: 110 ms).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from config import get_settings

DIGITS = 16
TIME_COST = 2
MEMORY_COST_KIB = 32 * 1024
PARALLELISM = 1
HASH_LEN = 32


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def groups(code: str) -> list[str]:
    return [code[i : i + 4] for i in range(0, DIGITS, 4)]


def _salt() -> bytes:
    return hmac.new(get_settings().secret, b"receipt-salt", hashlib.sha256).digest()[:16]


def hash_code(code: str) -> str:
    """Slow on purpose (~80 ms): call it off the event loop."""
    raw = hash_secret_raw(
        secret=code.encode(),
        salt=_salt(),
        time_cost=TIME_COST,
        memory_cost=MEMORY_COST_KIB,
        parallelism=PARALLELISM,
        hash_len=HASH_LEN,
        type=Type.ID,
    )
    return raw.hex()


def _seal_key(idempotency_key: str) -> bytes:
    return hashlib.sha256(b"receipt-seal:" + idempotency_key.encode()).digest()


def seal(code: str, idempotency_key: str) -> str:
    """Encrypt the code under the submission's idempotency key, which only the reporter holds."""
    nonce = os.urandom(12)
    return (nonce + AESGCM(_seal_key(idempotency_key)).encrypt(nonce, code.encode(), None)).hex()


def unseal(sealed: str, idempotency_key: str) -> str | None:
    try:
        blob = bytes.fromhex(sealed)
        return AESGCM(_seal_key(idempotency_key)).decrypt(blob[:12], blob[12:], None).decode()
    except Exception:  # wrong key or damaged value: behave as if nothing was sealed
        return None
