from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

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


def test_a_person_s_keys_are_stable_per_key_and_reveal_nothing() -> None:
    crypto = cheap(SECRET_A)
    user_id = 987654321
    language = crypto.person(user_id).language()
    assert language == crypto.person(user_id).language()
    assert language != crypto.person(user_id + 1).language()
    assert language != cheap(SECRET_B).person(user_id).language()
    assert str(user_id) not in language and format(user_id, "x") not in language
    assert len(language) == 64
    assert str(user_id) not in repr(crypto.person(user_id))


def test_every_purpose_and_every_day_has_a_value_of_its_own() -> None:
    """No two purposes share a value (issue 18): a draft key says nothing of the language
    key, a quota key nothing of the draft's, one day's keys nothing of the next day's."""
    person = cheap(SECRET_A).person(987654321)
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    values = [
        person.draft("1:2::default", monday),
        person.draft("1:2::default", tuesday),
        person.draft("1:3::default", monday),
        person.lock("1:2::default"),
        person.language(),
        person.quota("reports", monday),
        person.quota("reports", tuesday),
        person.quota("bytes", monday),
        person.receipt_misses(nine),
        person.receipt_misses(nine + timedelta(hours=1)),
        person.flood("any"),
        person.flood("typed"),
        person.pace(),
        person._root.hex(),
    ]
    assert len(set(values)) == len(values)


def test_a_person_s_root_is_a_memory_hard_hash_not_a_fast_mac() -> None:
    """With the key, a fast HMAC lets the whole id space be walked in hours; each guess
    must instead cost a full Argon2id of the production cost (>= 5 ms, measured in
    the README's numbers). Every per-purpose key is an HMAC of that root."""
    crypto = Crypto([SECRET_A])
    user_id = 987654321
    keys = crypto._current
    peppered = hmac.new(keys.pseudonym, str(user_id).encode(), hashlib.sha256).digest()
    expected = hash_secret_raw(
        peppered,
        keys.pseudonym_salt,
        time_cost=PSEUDONYM_TIME_COST,
        memory_cost=PSEUDONYM_MEMORY_KIB,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    person = crypto.person(user_id)
    assert person._root == expected
    assert person.language() == hmac.new(expected, b"language", hashlib.sha256).hexdigest()
    assert PSEUDONYM_MEMORY_KIB >= 8192 and PSEUDONYM_TIME_COST >= 2


def test_one_argon2id_per_person_and_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import storage.crypto as module

    calls: list[int] = []
    real = module.hash_secret_raw

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "hash_secret_raw", counting)
    crypto = cheap(SECRET_A)
    first = [crypto.person(n).language() for n in (1, 2, 1, 2, 1)]
    assert first == [first[0], first[1]] * 2 + [first[0]] and len(calls) == 2
    # Every other purpose comes from the same root: no further Argon2id.
    person = crypto.person(1)
    person.draft("c", date(2026, 3, 2)), person.quota("reports", date(2026, 3, 2))
    person.flood("any"), person.pace(), person.lock("c")
    assert len(calls) == 2


async def test_a_new_person_s_root_is_drawn_off_the_event_loop() -> None:
    crypto = cheap(SECRET_A)
    drawn = await crypto.person_async(5)
    assert drawn.language() == crypto.person(5).language()


def test_update_tags_are_keyed_and_fit_a_bigint() -> None:
    crypto = cheap(SECRET_A)
    tags = {crypto.update_tag(n) for n in range(1000)}
    assert len(tags) == 1000
    assert all(0 <= tag < 2**63 for tag in tags)
    assert crypto.update_tag(7) == crypto.update_tag(7) != cheap(SECRET_B).update_tag(7)
    # Consecutive ids give no consecutive tags.
    assert abs(crypto.update_tag(8) - crypto.update_tag(7)) > 1000


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
