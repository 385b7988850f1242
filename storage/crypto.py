"""All cryptography of Holos in one place (SPEC §4).

Every key is derived with HKDF from the server secret, which lives outside the
database. Key rotation: the current secret encrypts and hashes; earlier secrets
(``HOLOS_OLD_SECRET_KEYS``) still decrypt and still find receipt codes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.errors import InvalidReceiptCode

RECEIPT_DIGITS = 16
# Argon2id cost of one pseudonym: ~8-10 ms and 8 MiB on one core, so that walking the
# ~10^10 Telegram ids costs CPU-years even with the key. Cached per process.
PSEUDONYM_TIME_COST = 2
PSEUDONYM_MEMORY_KIB = 8192
PSEUDONYM_CACHE_SIZE = 20_000
_CIPHER_VERSION = 1
_KEY_ID_BYTES = 8
_NONCE_BYTES = 12
# Separators people type between groups: spaces of all kinds, hyphens and dashes, dots.
_RECEIPT_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―.·_]+")


class DecryptionError(Exception):
    """Ciphertext that no known key opens: tampered, or its key was dropped."""


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret
    )


@dataclass(frozen=True)
class _KeySet:
    encryption: bytes
    key_id: bytes
    pseudonym: bytes
    pseudonym_salt: bytes
    receipt_pepper: bytes
    receipt_salt: bytes
    token: bytes
    signing: bytes


def _key_set(secret: bytes) -> _KeySet:
    encryption = _derive(secret, "holos/encryption/v1")
    return _KeySet(
        encryption=encryption,
        key_id=hashlib.sha256(b"holos/key-id/" + encryption).digest()[:_KEY_ID_BYTES],
        pseudonym=_derive(secret, "holos/pseudonym/v2"),
        pseudonym_salt=_derive(secret, "holos/pseudonym-salt/v2")[:16],
        receipt_pepper=_derive(secret, "holos/receipt-pepper/v1"),
        receipt_salt=_derive(secret, "holos/receipt-salt/v1")[:16],
        token=_derive(secret, "holos/api-token/v1"),
        signing=_derive(secret, "holos/signing/v1"),
    )


def generate_receipt_code() -> str:
    """16 random decimal digits (about 53 bits) from the OS CSPRNG."""
    return "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))


def format_receipt_code(code: str) -> str:
    """``4821993012745561`` → ``4821 9930 1274 5561``."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_receipt_code(raw: str) -> str:
    """Accept what a person types (groups split by spaces or dashes); refuse anything else.

    Raises :class:`InvalidReceiptCode` with the reason, never echoing the input.
    """
    compact = _RECEIPT_SEPARATORS.sub("", raw.strip())
    if not compact:
        raise InvalidReceiptCode("nothing was entered")
    if not all("0" <= ch <= "9" for ch in compact):
        raise InvalidReceiptCode("it contains characters other than digits")
    if len(compact) != RECEIPT_DIGITS:
        raise InvalidReceiptCode(f"{len(compact)} digits were entered")
    return compact


class Crypto:
    """Keyed operations over the server secret(s); the first secret is the current one."""

    def __init__(
        self,
        secrets_: list[bytes],
        *,
        receipt_time_cost: int = 2,
        receipt_memory_kib: int = 12288,
        pseudonym_time_cost: int = PSEUDONYM_TIME_COST,
        pseudonym_memory_kib: int = PSEUDONYM_MEMORY_KIB,
    ) -> None:
        if not secrets_:
            raise ValueError("at least one secret is required")
        self._keys = [_key_set(s) for s in secrets_]
        self._by_id = {k.key_id: k for k in self._keys}
        self._receipt_time_cost = receipt_time_cost
        self._receipt_memory_kib = receipt_memory_kib
        self._pseudonym_time_cost = pseudonym_time_cost
        self._pseudonym_memory_kib = pseudonym_memory_kib
        # Keyed by an HMAC of the id, so raw ids are not kept in a long-lived structure.
        self._pseudonyms: OrderedDict[bytes, str] = OrderedDict()
        self._pseudonyms_lock = threading.Lock()
        self._log_day: date | None = None
        self._log_key = b""

    @property
    def _current(self) -> _KeySet:
        return self._keys[0]

    # Pseudonyms -------------------------------------------------------------------------

    def pseudonym(self, telegram_id: int | str) -> str:
        """Argon2id(HMAC(server secret, id)), hex: recognises a returning chat, reveals nothing.

        A fast keyed hash would let anyone holding the key walk every Telegram id in
        hours; the memory-hard hash makes each guess cost milliseconds. The fixed salt
        (derived from the key) keeps it a lookup key. Also takes composite keys (bot,
        chat, user, destiny) for conversation state.
        """
        peppered = self._peppered(telegram_id)
        cached = self._cached_pseudonym(peppered)
        return cached if cached is not None else self._new_pseudonym(peppered)

    async def pseudonym_async(self, telegram_id: int | str) -> str:
        """:meth:`pseudonym` for the event loop: a new one (≈10 ms of Argon2id, which
        releases the GIL) is drawn in a worker thread, so the loop serves other chats
        meanwhile; a known one comes from the cache at once."""
        peppered = self._peppered(telegram_id)
        cached = self._cached_pseudonym(peppered)
        if cached is not None:
            return cached
        return await asyncio.to_thread(self._new_pseudonym, peppered)

    def _peppered(self, telegram_id: int | str) -> bytes:
        return hmac.new(self._current.pseudonym, str(telegram_id).encode(), hashlib.sha256).digest()

    def _cached_pseudonym(self, peppered: bytes) -> str | None:
        with self._pseudonyms_lock:
            cached = self._pseudonyms.get(peppered)
            if cached is not None:
                self._pseudonyms.move_to_end(peppered)
            return cached

    def _new_pseudonym(self, peppered: bytes) -> str:
        value = hash_secret_raw(
            peppered,
            self._current.pseudonym_salt,
            time_cost=self._pseudonym_time_cost,
            memory_cost=self._pseudonym_memory_kib,
            parallelism=1,
            hash_len=32,
            type=Type.ID,
        ).hex()
        with self._pseudonyms_lock:
            self._pseudonyms[peppered] = value
            if len(self._pseudonyms) > PSEUDONYM_CACHE_SIZE:
                self._pseudonyms.popitem(last=False)
        return value

    def log_tag(self, pseudonym: str, today: date | None = None) -> str:
        """A short tag that lets one day's log lines of one person be read together.

        Keyed by a random key held only in this process's memory and replaced each day
        (UTC): once the day is over no one, even with the server secret and the database,
        can link a tag to a pseudonym or to another day's tag.
        """
        today = today or datetime.now(UTC).date()
        with self._pseudonyms_lock:
            if self._log_day != today:
                self._log_day, self._log_key = today, secrets.token_bytes(32)
            key = self._log_key
        return hmac.new(key, pseudonym.encode(), hashlib.sha256).hexdigest()[:10]

    # Receipt codes ----------------------------------------------------------------------

    def receipt_hash(self, code: str) -> str:
        """The keyed slow hash stored for a normalised receipt code, under the current key."""
        return self._receipt_hash(code, self._current)

    def receipt_hash_candidates(self, code: str) -> list[str]:
        """The hashes under every known key, current first: lookups survive a key rotation."""
        return [self._receipt_hash(code, keys) for keys in self._keys]

    def _receipt_hash(self, code: str, keys: _KeySet) -> str:
        # Argon2id over an HMAC of the code: the pepper makes a stolen database alone
        # useless, the memory-hard hash makes a stolen key expensive to exploit. The salt
        # is fixed per key so that the hash can be indexed and looked up.
        peppered = hmac.new(keys.receipt_pepper, code.encode(), hashlib.sha256).digest()
        raw = hash_secret_raw(
            peppered,
            keys.receipt_salt,
            time_cost=self._receipt_time_cost,
            memory_cost=self._receipt_memory_kib,
            parallelism=1,
            hash_len=32,
            type=Type.ID,
        )
        return raw.hex()

    # API tokens -------------------------------------------------------------------------

    def token_hash(self, token: str) -> str:
        """Bearer tokens are 256-bit random: a keyed fast hash is enough and keeps auth cheap."""
        return hmac.new(self._current.token, token.encode(), hashlib.sha256).hexdigest()

    def sign(self, data: bytes, purpose: str) -> bytes:
        """A short MAC for opaque values handed out and taken back (pagination cursors)."""
        mac = hmac.new(self._current.signing, purpose.encode() + b"\0" + data, hashlib.sha256)
        return mac.digest()[:16]

    # Authenticated encryption -----------------------------------------------------------

    def encrypt(self, plaintext: bytes, context: str) -> bytes:
        """AES-256-GCM; ``context`` (e.g. ``cases.narrative``) is bound as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._current.encryption).encrypt(nonce, plaintext, context.encode())
        return bytes([_CIPHER_VERSION]) + self._current.key_id + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> bytes:
        if len(blob) < 1 + _KEY_ID_BYTES + _NONCE_BYTES + 16 or blob[0] != _CIPHER_VERSION:
            raise DecryptionError("not a Holos ciphertext")
        key_id = blob[1 : 1 + _KEY_ID_BYTES]
        keys = self._by_id.get(key_id)
        if keys is None:
            raise DecryptionError("encrypted with a key that is no longer configured")
        nonce = blob[1 + _KEY_ID_BYTES : 1 + _KEY_ID_BYTES + _NONCE_BYTES]
        try:
            return AESGCM(keys.encryption).decrypt(
                nonce, blob[1 + _KEY_ID_BYTES + _NONCE_BYTES :], context.encode()
            )
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication") from None

    def encrypt_text(self, text: str, context: str) -> bytes:
        return self.encrypt(text.encode("utf-8"), context)

    def decrypt_text(self, blob: bytes, context: str) -> str:
        return self.decrypt(blob, context).decode("utf-8")

    def is_current(self, blob: bytes) -> bool:
        return blob[1 : 1 + _KEY_ID_BYTES] == self._current.key_id
