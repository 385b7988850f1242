from __future__ import annotations

import hashlib
import hmac

import pytest
from argon2.low_level import Type, hash_secret_raw
from hypothesis import given
from hypothesis import strategies as st

from storage.crypto import (
    PSEUDONYM_MEMORY_KIB,
    PSEUDONYM_TIME_COST,
    Crypto,
    DecryptionError,
    format_receipt_code,
    generate_receipt_code,
    normalize_receipt_code,
)
from storage.errors import InvalidReceiptCode

SECRET_A = b"a" * 40
SECRET_B = b"b" * 40
codes = st.text(alphabet="0123456789", min_size=16, max_size=16)


def cheap(*secrets_: bytes) -> Crypto:
    return Crypto(
        list(secrets_),
        receipt_time_cost=1,
        receipt_memory_kib=64,
        pseudonym_time_cost=1,
        pseudonym_memory_kib=64,
    )


def test_receipt_code_is_16_digits_shown_in_four_groups() -> None:
    code = generate_receipt_code()
    assert len(code) == 16 and code.isdigit()
    shown = format_receipt_code(code)
    assert shown.count(" ") == 3 and [len(g) for g in shown.split(" ")] == [4, 4, 4, 4]


@given(codes, st.sampled_from([" ", "-", "  ", " - ", "\u00a0", "–", "."]))
def test_people_can_type_codes_with_separators(code: str, sep: str) -> None:
    typed = sep.join(code[i : i + 4] for i in range(0, 16, 4))
    assert normalize_receipt_code(f"  {typed} ") == code


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("4821 9930 1274 556", "15 digits were entered"),
        ("4821 9930 1274 55610", "17 digits were entered"),
        ("4821 9930 1274 556a", "it contains characters other than digits"),
        ("HL-2026-000123", "it contains characters other than digits"),
        ("", "nothing was entered"),
        ("   ", "nothing was entered"),
        ("٤٨٢١٩٩٣٠١٢٧٤٥٥٦١", "it contains characters other than digits"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidReceiptCode) as caught:
        normalize_receipt_code(typed)
    assert caught.value.code == "invalid_receipt_code"
    assert reason in caught.value.message
    # The message never repeats what was typed (it might be a real code with a typo).
    assert typed.strip() == "" or typed not in caught.value.message


@given(codes)
def test_receipt_hash_is_deterministic_keyed_and_not_the_code(code: str) -> None:
    a, b = cheap(SECRET_A), cheap(SECRET_B)
    assert a.receipt_hash(code) == a.receipt_hash(code)
    assert a.receipt_hash(code) != b.receipt_hash(code)
    assert code not in a.receipt_hash(code)


def test_receipt_hash_candidates_cover_old_keys_current_first() -> None:
    rotated = cheap(SECRET_B, SECRET_A)
    code = "4821993012745561"
    assert rotated.receipt_hash_candidates(code) == [
        cheap(SECRET_B).receipt_hash(code),
        cheap(SECRET_A).receipt_hash(code),
    ]


def test_pseudonym_is_stable_per_key_and_reveals_nothing() -> None:
    crypto = cheap(SECRET_A)
    user_id = 987654321
    pseudonym = crypto.pseudonym(user_id)
    assert pseudonym == crypto.pseudonym(user_id)
    assert pseudonym != crypto.pseudonym(user_id + 1)
    assert pseudonym != cheap(SECRET_B).pseudonym(user_id)
    assert str(user_id) not in pseudonym and format(user_id, "x") not in pseudonym
    assert len(pseudonym) == 64


def test_pseudonym_is_a_memory_hard_hash_not_a_fast_mac() -> None:
    """With the key, a fast HMAC lets the whole id space be walked in hours; each guess
    must instead cost a full Argon2id of the production cost (>= 5 ms, measured in
    the README's numbers)."""
    crypto = Crypto([SECRET_A])
    user_id = 987654321
    keys = crypto._current
    peppered = hmac.new(keys.pseudonym, str(user_id).encode(), hashlib.sha256).digest()
    assert crypto.pseudonym(user_id) != peppered.hex()
    expected = hash_secret_raw(
        peppered,
        keys.pseudonym_salt,
        time_cost=PSEUDONYM_TIME_COST,
        memory_cost=PSEUDONYM_MEMORY_KIB,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    assert crypto.pseudonym(user_id) == expected.hex()
    assert PSEUDONYM_MEMORY_KIB >= 8192 and PSEUDONYM_TIME_COST >= 2


def test_pseudonyms_are_computed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import storage.crypto as module

    calls: list[int] = []
    real = module.hash_secret_raw

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "hash_secret_raw", counting)
    crypto = cheap(SECRET_A)
    first = [crypto.pseudonym(n) for n in (1, 2, 1, 2, 1)]
    assert first == [first[0], first[1]] * 2 + [first[0]] and len(calls) == 2


@given(st.binary(max_size=2048), st.sampled_from(["cases.narrative", "attachments.blob"]))
def test_encryption_round_trips(data: bytes, context: str) -> None:
    crypto = cheap(SECRET_A)
    sealed = crypto.encrypt(data, context)
    assert crypto.decrypt(sealed, context) == data
    if len(data) >= 8:
        assert data not in sealed


def test_ciphertext_is_bound_to_its_context_and_tamper_evident() -> None:
    crypto = cheap(SECRET_A)
    sealed = crypto.encrypt(b"secret narrative", "cases.narrative")
    with pytest.raises(DecryptionError):
        crypto.decrypt(sealed, "notes.body")
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionError):
        crypto.decrypt(bytes(tampered), "cases.narrative")
    with pytest.raises(DecryptionError):
        crypto.decrypt(b"plain text, not ours", "cases.narrative")


def test_rotation_old_ciphertext_still_opens_and_new_uses_the_new_key() -> None:
    old = cheap(SECRET_A)
    sealed_old = old.encrypt(b"written before rotation", "x")
    rotated = cheap(SECRET_B, SECRET_A)
    assert rotated.decrypt(sealed_old, "x") == b"written before rotation"
    assert not rotated.is_current(sealed_old)
    sealed_new = rotated.encrypt(b"after", "x")
    assert rotated.is_current(sealed_new)
    with pytest.raises(DecryptionError, match="no longer configured"):
        cheap(SECRET_B).decrypt(sealed_old, "x")
    with pytest.raises(DecryptionError):
        old.decrypt(sealed_new, "x")


def test_log_tags_change_daily_and_cannot_be_recomputed_later() -> None:
    from datetime import date

    crypto = cheap(SECRET_A)
    pseudonym = crypto.pseudonym(987654321)
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    tag = crypto.log_tag(pseudonym, monday)
    assert tag == crypto.log_tag(pseudonym, monday)
    assert tag != crypto.log_tag(crypto.pseudonym(987654322), monday)
    assert tag not in pseudonym
    assert crypto.log_tag(pseudonym, tuesday) != tag
    # Another process with the same secret (an attacker with the key) gets another tag.
    assert cheap(SECRET_A).log_tag(pseudonym, monday) != tag
