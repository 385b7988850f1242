"""Full-text search over what reporters wrote (SPEC §6 ``q``).

Standard narratives and additions are plain text with a real full-text index:
FTS5 tables kept by triggers on SQLite, GIN ``to_tsvector('simple', …)`` indexes on
PostgreSQL (both created by the migrations). Every word is a prefix match, so
``скарг`` finds ``скарга`` and ``скарги`` without a language-specific stemmer.
Sensitive content is encrypted, so it is matched in memory after decryption, and
only for a caller allowed to see it.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, literal_column, select, text
from sqlalchemy.sql.elements import TextClause

from storage.models import Case, CaseAddition

MAX_TERMS = 8
_WORD = re.compile(r"[^\W_]+")


def terms(query: str) -> list[str]:
    """The words of a search query, case-folded; punctuation and operators are dropped."""
    return _WORD.findall(query.casefold())[:MAX_TERMS]


def matches(terms_: list[str], *texts: str | None) -> bool:
    """In-memory equivalent of the index match: every term prefixes some word."""
    words = {w for t in texts if t for w in _WORD.findall(t.casefold())}
    return all(any(w.startswith(term) for w in words) for term in terms_)


def _pg_vector(column: ColumnElement[str | None]) -> ColumnElement[object]:
    # Must be the very expression of the GIN index for the planner to use it.
    return func.to_tsvector(literal_column("'simple'"), func.coalesce(column, ""))


def matching_case_ids(dialect: str, terms_: list[str]) -> ColumnElement[bool]:
    """A predicate on ``Case.id`` true when a narrative or an addition matches every term."""
    if dialect == "postgresql":
        tsquery = func.to_tsquery(literal_column("'simple'"), " & ".join(f"{t}:*" for t in terms_))
        in_narrative = _pg_vector(Case.narrative).bool_op("@@")(tsquery)
        addition_ids = select(CaseAddition.case_id).where(
            _pg_vector(CaseAddition.body).bool_op("@@")(tsquery)
        )
        return in_narrative | Case.id.in_(addition_ids)

    expression = " ".join(f'"{t}"*' for t in terms_)
    narrative_ids: TextClause = text(
        "SELECT rowid FROM cases_fts WHERE cases_fts MATCH :fts_q"
    ).bindparams(fts_q=expression)
    addition_case_ids: TextClause = text(
        "SELECT a.case_id FROM case_additions_fts f JOIN case_additions a ON a.id = f.rowid "
        "WHERE case_additions_fts MATCH :fts_qa"
    ).bindparams(fts_qa=expression)
    return Case.id.in_(narrative_ids.columns(literal_column("rowid"))) | Case.id.in_(
        addition_case_ids.columns(literal_column("case_id"))
    )
