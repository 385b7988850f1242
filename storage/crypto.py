"""All cryptography of Holos in one place (what it protects: docs/privacy-rules.md).

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
from datetime import date, datetime

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
    update: bytes
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
        update=_derive(secret, "holos/update-id/v1"),
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


class PersonKeys:
    """The keys of one person, each for one purpose (issue 18): drafts, the kept language,
    quotas, receipt-code misses, flood and pacing state, per-chat locks.

    All are HMAC-SHA256 of the person's root (Argon2id of an HMAC of their Telegram id
    under the server secret, :meth:`Crypto.person`) over a purpose label and a scope, so
    no two purposes share a value, rows of different days or hours of one purpose
    share none either, and none costs another Argon2id. Without the server secret none
    can be computed from an id, or linked to another. The root itself is never stored.
    """

    __slots__ = ("_root",)

    def __init__(self, root: bytes) -> None:
        self._root = root

    def __repr__(self) -> str:
        return "PersonKeys(…)"

    def _key(self, purpose: str, *scope: str) -> str:
        message = "\0".join((purpose, *scope)).encode()
        return hmac.new(self._root, message, hashlib.sha256).hexdigest()

    def draft(self, conversation: str, day: date) -> str:
        """A conversation's draft, scoped to the day it was last written: drafts of two
        days share no key, so two copies of the data taken on two days do not tell that
        two drafts came from one chat."""
        return self._key("draft", conversation, day.isoformat())

    def lock(self, conversation: str) -> str:
        """The per-chat lock several instances share (it lives only while an update runs)."""
        return self._key("lock", conversation)

    def language(self) -> str:
        """The language the person chose: the one value kept beyond a conversation."""
        return self._key("language")

    def quota(self, kind: str, day: date) -> str:
        """Today's count of reports or attachment bytes; another day, another key."""
        return self._key("quota", kind, day.isoformat())

    def receipt_misses(self, hour: datetime) -> str:
        """Wrong receipt codes tried this hour."""
        return self._key("receipt-misses", hour.strftime("%Y-%m-%dT%H"))

    def flood(self, kind: str) -> str:
        return self._key("flood", kind)

    def pace(self) -> str:
        """The chat's outgoing pace (a private chat's id is its person's)."""
        return self._key("pace")

    def tag(self, key: bytes) -> str:
        """An HMAC of the root under another key (the day's log key)."""
        return hmac.new(key, self._root, hashlib.sha256).hexdigest()


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
        self._pseudonyms: OrderedDict[bytes, bytes] = OrderedDict()
        self._pseudonyms_lock = threading.Lock()

    @property
    def _current(self) -> _KeySet:
        return self._keys[0]

    # One person's keys ------------------------------------------------------------------

    def person(self, telegram_id: int | str) -> PersonKeys:
        """The keys of one person (a Telegram user id): one Argon2id per person and process,
        every per-purpose key an HMAC of it (see :class:`PersonKeys`).

        A fast keyed hash would let anyone holding the key walk every Telegram id in
        hours; the memory-hard hash makes each guess cost milliseconds. The fixed salt
        (derived from the key) keeps the result a lookup key. It is never stored."""
        peppered = self._peppered(telegram_id)
        root = self._cached_root(peppered)
        return PersonKeys(root if root is not None else self._new_root(peppered))

    async def person_async(self, telegram_id: int | str) -> PersonKeys:
        """:meth:`person` for the event loop: a new one (≈10 ms of Argon2id, which
        releases the GIL) is drawn in a worker thread, so the loop serves other chats
        meanwhile; a known one comes from the cache at once."""
        peppered = self._peppered(telegram_id)
        root = self._cached_root(peppered)
        if root is None:
            root = await asyncio.to_thread(self._new_root, peppered)
        return PersonKeys(root)

    def _peppered(self, telegram_id: int | str) -> bytes:
        return hmac.new(self._current.pseudonym, str(telegram_id).encode(), hashlib.sha256).digest()

    def _cached_root(self, peppered: bytes) -> bytes | None:
        with self._pseudonyms_lock:
            cached = self._pseudonyms.get(peppered)
            if cached is not None:
                self._pseudonyms.move_to_end(peppered)
            return cached

    def _new_root(self, peppered: bytes) -> bytes:
        value = hash_secret_raw(
            peppered,
            self._current.pseudonym_salt,
            time_cost=self._pseudonym_time_cost,
            memory_cost=self._pseudonym_memory_kib,
            parallelism=1,
            hash_len=32,
            type=Type.ID,
        )
        with self._pseudonyms_lock:
            self._pseudonyms[peppered] = value
            if len(self._pseudonyms) > PSEUDONYM_CACHE_SIZE:
                self._pseudonyms.popitem(last=False)
        return value

    def update_tag(self, update_id: int) -> int:
        """What is stored of a handled Telegram update's id: a keyed hash (63 bits, so it
        fits the same column). Update ids count up across all chats; stored plain they
        would line up the updates of one person with the one that stored their case."""
        mac = hmac.new(self._current.update, str(update_id).encode(), hashlib.sha256).digest()
        return int.from_bytes(mac[:8], "big") >> 1

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
