"""parse_mode rendering: what the user sees, with entities in UTF-16 units."""

from __future__ import annotations

import pytest

from tgemu.errors import BotApiError
from tgemu.formatting import parse_html, parse_markdown, parse_markdown_v2, utf16_len


def test_html_text_entities_and_escapes() -> None:
    text, entities = parse_html(
        '<b>Код</b> &lt;12&gt; &amp; <a href="https://example.org/?a=1&amp;b=2">link</a> 😀<i>x</i>'
    )
    assert text == "Код <12> & link 😀x"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://example.org/?a=1&b=2"},
        {"type": "italic", "offset": 18, "length": 1},  # the emoji counts as two units
    ]
    assert utf16_len("😀") == 2


def test_html_pre_with_language_and_nesting() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">print(1)</code></pre><b><i>both</i></b>'
    )
    assert text == "print(1)both"
    assert {"type": "pre", "offset": 0, "length": 8, "language": "python"} in entities
    assert {"type": "bold", "offset": 8, "length": 4} in entities
    assert {"type": "italic", "offset": 8, "length": 4} in entities


@pytest.mark.parametrize(
    "source",
    ["<b>open", "<b>x</i>", "</b>", "<span>x</span>", "a <b", "<unknown>x</unknown>"],
)
def test_html_errors(source: str) -> None:
    with pytest.raises(BotApiError) as caught:
        parse_html(source)
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")


def test_markdown_v2() -> None:
    text, entities = parse_markdown_v2(r"*Done* \- see [the form](https://example.org/f) \(1\)\.")
    assert text == "Done - see the form (1)."
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 11, "length": 8, "url": "https://example.org/f"},
    ]
    with pytest.raises(BotApiError, match="Character '-' is reserved"):
        parse_markdown_v2("a - b")
    with pytest.raises(BotApiError, match="Can't find end of Bold entity"):
        parse_markdown_v2("*open")


def test_legacy_markdown() -> None:
    text, entities = parse_markdown("*bold* and _it_ `code`")
    assert text == "bold and it code"
    assert [e["type"] for e in entities] == ["bold", "italic", "code"]
