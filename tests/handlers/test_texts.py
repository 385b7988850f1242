"""Pure text helpers: long messages are cut to fit Telegram without losing anything."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.texts import MESSAGE_LIMIT, esc, split_plain, with_user_text

# Text rich in what escaping expands (&, <, >) and in places to cut (spaces, new lines).
texts = st.text(alphabet=st.sampled_from(list("ab яї &<>\n")), max_size=20_000)


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(min_value=50, max_value=4000))
def test_pieces_fit_once_escaped_and_keep_every_character(text: str, first: int) -> None:
    pieces = split_plain(text, first, MESSAGE_LIMIT)
    assert len(esc(pieces[0])) <= first
    assert all(len(esc(piece)) <= MESSAGE_LIMIT for piece in pieces)
    # Only the whitespace at a cut may go.
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


@settings(max_examples=100, deadline=None)
@given(texts)
def test_messages_with_a_head_and_user_text_fit(text: str) -> None:
    messages = with_user_text("<b>Опис:</b>", text, "<i>кінець</i>")
    assert all(len(message) <= MESSAGE_LIMIT for message in messages)
    assert messages[0].startswith("<b>Опис:</b>") and messages[-1].endswith("<i>кінець</i>")
