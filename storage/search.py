"""Full-text search over what reporters wrote (the worklist's ``q``), index-backed on both engines.

Standard narratives, additions and the text of their files (a PDF's pages, an office
document's words; migration 0013) are plain text with a real full-text index, created
by the migrations. Each text is indexed with its words and their lemmas
(:mod:`storage.lemmas`: Ukrainian and Russian by dictionary, English by stemmer; kept in
the ``lemmas`` column beside the text, migration 0015). A query word matches a word it
prefixes (``скарг`` finds ``скарга``, as before) or any word with one of its lemmas
(``Харків`` finds ``Харкові``, ``видача`` finds ``видачу``); a case matches when its
text holds every query word.

- PostgreSQL keeps **one search document per case** (``cases.search_document``, a
  ``tsvector`` of the narrative, every addition and every file's text, kept by
  triggers, GIN-indexed; migrations 0009 and 0013). A case matches when its text, narrative and additions together,
  holds every word. The match is one predicate on ``cases``, so the planner picks: the
  GIN index for a rare word, or the date index walked with LIMIT for a common one
  (cheap, as the vector is stored rather than recomputed per row).
- SQLite has FTS5 tables kept by triggers over narratives, additions and files' text;
  a case matches when its narrative, or one of its additions or files, holds every word. The matching
  ids are one ``UNION ALL`` of the index-backed id sets.

Neither engine ever writes ``OR id IN (…)`` for the standard text, which makes
PostgreSQL give up its index and scan every row.

Sensitive text is encrypted, so it is found through a **blind index**
(:class:`storage.models.CaseSearchToken`): for every distinct word of the narrative and
the additions, a keyed hash (HMAC, key derived from the server secret) of each of its
prefixes up to :data:`MAX_PREFIX` characters, and of each of its lemmas (marked apart,
so a lemma never collides with a prefix). A query word is hashed the same way, its
prefix and its lemmas, and a case matches the word when it holds any of those tokens;
the words themselves never reach the database. What the table does reveal is how many
distinct prefixes and lemmas a case has and which cases share one. A query word longer
than :data:`MAX_PREFIX` matches on its first :data:`MAX_PREFIX` characters. A sensitive
case matches when all query words occur anywhere in its text; only a role allowed to see
sensitive cases searches the blind index.

After the server secret is rotated, new tokens are made under the new key:
:func:`storage.services.search_index.reindex` rebuilds the blind index of old cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    any_,
    func,
    intersect,
    literal_column,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.sql.elements import TextClause

from storage.crypto import Crypto
from storage.lemmas import SURFACE, index_terms, joined, lemmas, query_alternatives, words
from storage.models import Case, CaseSearchToken

MAX_TERMS = 8
MAX_PREFIX = 16
_BLIND_PURPOSE = "blind-index/v1"
# Marks a lemma's blind token apart from a prefix's: never in a word.
_LEMMA_MARK = "="


def terms(query: str) -> list[str]:
    """The words of a search query, case-folded; punctuation and operators are dropped.
    A word keeps its apostrophe (``обов'язок``): the dictionaries need it."""
    return [w for w in words(query) if joined(w)][:MAX_TERMS]


def matches(terms_: list[str], *texts: str | None) -> bool:
    """In-memory equivalent of the index match: every term prefixes some word, or shares a
    lemma with one."""
    found: set[str] = set()
    for t in texts:
        if t:
            found |= set(SURFACE.findall(t.casefold())) | index_terms(t)
    return all(
        any(w.startswith(joined(term)) for w in found) or bool(lemmas(term) & found)
        for term in terms_
    )


# Blind index ----------------------------------------------------------------------------


def blind_token(crypto: Crypto, prefix: str) -> str:
    return crypto.sign(prefix.encode("utf-8"), _BLIND_PURPOSE).hex()


def blind_tokens(crypto: Crypto, *texts: str | None) -> set[str]:
    """The blind-index tokens of some text: every prefix of every distinct word, and every
    lemma of every word."""
    surface: set[str] = set()
    lemma_set: set[str] = set()
    for text_ in texts:
        if not text_:
            continue
        surface |= set(SURFACE.findall(text_.casefold()))
        for word in set(words(text_)):
            if "'" in word:
                surface.add(joined(word))
            lemma_set |= lemmas(word)
    cut = {w[:MAX_PREFIX] for w in surface}
    prefixes = {w[:n] for w in cut for n in range(1, len(w) + 1)}
    return {blind_token(crypto, p) for p in prefixes} | {
        blind_token(crypto, _LEMMA_MARK + lemma) for lemma in lemma_set
    }


def blind_query_tokens(crypto: Crypto, terms_: Iterable[str]) -> list[tuple[str, ...]]:
    """Per query word, the tokens any one of which matches it: its prefix, its lemmas."""
    return [
        (
            blind_token(crypto, joined(t)[:MAX_PREFIX]),
            *(blind_token(crypto, _LEMMA_MARK + lemma) for lemma in sorted(lemmas(t))),
        )
        for t in terms_
    ]


def _blind_ids(groups: Sequence[Sequence[str]]) -> Select[Any]:
    per_word = [
        select(CaseSearchToken.case_id).where(CaseSearchToken.token.in_(list(tokens)))
        for tokens in groups
    ]
    if len(per_word) == 1:
        return per_word[0]
    return select(literal_column("case_id")).select_from(intersect(*per_word).subquery())


# Standard text ------------------------------------------------------------------------


# Outside the models on purpose: never loaded with a case (migration 0009).
_DOCUMENT: ColumnElement[Any] = literal_column("cases.search_document")


def _pg_query(terms_: list[str]) -> str:
    """``(word:* | lemma | …) & …``: the words are letters and digits only, so safe."""
    return " & ".join(
        "(" + " | ".join([f"{joined(t)}:*", *query_alternatives(t)]) + ")" for t in terms_
    )


def _fts5_query(terms_: list[str]) -> str:
    return " AND ".join(
        "(" + " OR ".join([f'"{joined(t)}"*', *(f'"{a}"' for a in query_alternatives(t))]) + ")"
        for t in terms_
    )


def _pg_match(terms_: list[str]) -> ColumnElement[bool]:
    tsquery = func.to_tsquery(literal_column("'simple'"), _pg_query(terms_))
    return _DOCUMENT.bool_op("@@")(tsquery)


def _plain_ids(dialect: str, terms_: list[str]) -> list[Select[Any]]:
    if dialect == "postgresql":
        return [select(Case.id).where(_pg_match(terms_))]
    expression = _fts5_query(terms_)
    narrative_ids: TextClause = text_clause(
        "SELECT rowid AS id FROM cases_fts WHERE cases_fts MATCH :fts_q", fts_q=expression
    )
    addition_ids: TextClause = text_clause(
        "SELECT a.case_id AS id FROM case_additions_fts f "
        "JOIN case_additions a ON a.id = f.rowid WHERE case_additions_fts MATCH :fts_qa",
        fts_qa=expression,
    )
    file_ids: TextClause = text_clause(
        "SELECT t.case_id AS id FROM attachments_fts f "
        "JOIN attachments t ON t.id = f.rowid WHERE attachments_fts MATCH :fts_qf",
        fts_qf=expression,
    )
    return [
        select(literal_column("id")).select_from(clause.columns(literal_column("id")).subquery())
        for clause in (narrative_ids, addition_ids, file_ids)
    ]


def text_clause(sql: str, **params: str) -> TextClause:
    return text(sql).bindparams(**params)


def matching_case_ids(
    dialect: str,
    terms_: list[str],
    *,
    blind: Sequence[Sequence[str]] | None = None,
    many: bool = False,
) -> ColumnElement[bool]:
    """A predicate on ``Case.id``: true when the case's text holds every term.

    ``blind`` (the query's blind-index tokens, per word) also searches sensitive cases; leave it
    out for a reader who may not see them.

    ``many`` says (from the capped count) that more cases match than a count reaches.
    PostgreSQL's estimate for a prefix query is blind to the word: it may walk the date
    index looking for a rare word through every case, or gather every match of a common
    one to sort it. So the caller, who counted first, chooses: with ``many`` a plain
    filter on the case (the date index walked with LIMIT finds a page at once), without
    it the matching ids gathered first through the GIN index (an array, which the
    planner cannot fold back into a walk) and then sorted, a few thousand at most.

    SQLite gathers the ids through FTS5 either way (cheap); ``many`` there turns them
    into a lookup set checked while the date index is walked, instead of the rows they
    name being read and sorted.
    """
    if dialect == "postgresql":
        plain = _pg_match(terms_)
        if many:
            return or_(plain, Case.id.in_(_blind_ids(blind))) if blind else plain
        gathered: Any = select(Case.id).where(plain)
        if blind:
            gathered = union(gathered, _blind_ids(blind))
        # ``= ANY(ARRAY(…))``, not ``IN (…)``: the array is gathered once and its ids
        # looked up by key. With ``IN`` the planner, which guesses 20,000 matches for
        # any prefix, may hash them and read the whole visibility index instead (cheap
        # on paper once VACUUM has marked the table all-visible): 81 matches of a rare
        # word took 120-170 ms at a million cases instead of 1-2 ms.
        return Case.id == any_(func.array(gathered.scalar_subquery(), type_=ARRAY(Integer)))
    sets = _plain_ids(dialect, terms_)
    if blind:
        sets.append(_blind_ids(blind))
    # UNION ALL: IN keeps each id once anyway, and a UNION would sort every match of a
    # common word into a second temporary index first.
    matched = union_all(*sets) if len(sets) > 1 else sets[0]
    if many:
        # SQLite gathers a common word's matches at once (a few ms) but would then read
        # and sort every matching row. ``id + 0`` is not indexable, so the ids become a
        # lookup set and the date index is walked in order, stopping at the page's end.
        return (Case.id + 0).in_(matched)
    return Case.id.in_(matched)


def plain_match(dialect: str, terms_: list[str]) -> ColumnElement[bool]:
    """Standard text only, as one predicate (the capped count on PostgreSQL)."""
    if dialect == "postgresql":
        return _pg_match(terms_)
    return matching_case_ids(dialect, terms_)


def row_match(dialect: str, terms_: list[str]) -> ColumnElement[bool]:
    """Standard text only, checked row by row (PostgreSQL): ``ts_match_vq`` is the ``@@``
    operator as a function, which no index serves, so a capped count that stops at the
    cap checks each case's stored document as it reads instead of gathering every match
    through the GIN index first. Only PostgreSQL's capped count uses it."""
    if dialect != "postgresql":
        return plain_match(dialect, terms_)
    tsquery = func.to_tsquery(literal_column("'simple'"), _pg_query(terms_))
    return func.ts_match_vq(_DOCUMENT, tsquery, type_=Boolean)


def blind_match(groups: Sequence[Sequence[str]]) -> ColumnElement[bool]:
    """Sensitive text only, through the blind index."""
    return Case.id.in_(_blind_ids(groups))
