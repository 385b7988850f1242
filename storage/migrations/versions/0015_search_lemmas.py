"""search by lemma: the lemmas of plain text indexed beside it; saved worklist filters

Revision ID: 0015
Revises: 0012

Issue 22 §1. Cases, additions and attachments get a ``lemmas`` column: the Ukrainian
and Russian lemmas and English stems of their plain text's words (storage.lemmas),
written by the application with the text. The full-text indexes take it in: on
PostgreSQL the per-case ``search_document`` (its function and triggers now read the
lemmas too), on SQLite each FTS5 table gets a second column (tables rebuilt).

Existing text is lemmatised here when there is little of it (at most
:data:`CHEAP_ROWS` rows in all, about a minute); otherwise, and for the blind index of
sensitive cases (which needs the server secret), ``holos search reindex`` does it, with
a progress bar. Until then old cases are still found by their words' prefixes, as
before.

``saved_filters``: worklist filters a staff member saved for themselves under a name.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHEAP_ROWS = 20_000
# (table, text column, FTS5 table on SQLite)
_TEXTS = (
    ("cases", "narrative", "cases_fts"),
    ("case_additions", "body", "case_additions_fts"),
    ("attachments", "text", "attachments_fts"),
)

_DOCUMENT = """
CREATE OR REPLACE FUNCTION holos_search_document(p_narrative text, p_case_id integer)
RETURNS tsvector LANGUAGE plpgsql STABLE AS $$
DECLARE
    written text := coalesce(p_narrative, '') || ' ' || coalesce(
        (SELECT string_agg(concat_ws(' ', body, lemmas), ' ' ORDER BY id) FROM case_additions
         WHERE case_id = p_case_id AND body IS NOT NULL), '');
BEGIN
    RETURN to_tsvector('simple', written || ' ' || coalesce(
        (SELECT string_agg(concat_ws(' ', left(text, 20000), lemmas), ' ' ORDER BY id)
         FROM attachments WHERE case_id = p_case_id AND text IS NOT NULL), ''));
EXCEPTION WHEN program_limit_exceeded THEN
    -- Too many distinct words for one tsvector: the files' words are left out rather
    -- than the report refused.
    RETURN to_tsvector('simple', written);
END
$$
"""

# The narrative argument carries the case's lemmas too.
_ON_CASE = """
CREATE OR REPLACE FUNCTION holos_case_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := holos_search_document(concat_ws(' ', NEW.narrative, NEW.lemmas), NEW.id);
    RETURN NEW;
END
$$
"""

_ON_CHILD = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.case_id ELSE NEW.case_id END;
BEGIN
    UPDATE cases SET search_document = holos_search_document({argument}, id)
    WHERE id = target;
    RETURN NULL;
END
$$
"""

_PREVIOUS_DOCUMENT = """
CREATE OR REPLACE FUNCTION holos_search_document(p_narrative text, p_case_id integer)
RETURNS tsvector LANGUAGE plpgsql STABLE AS $$
DECLARE
    written text := coalesce(p_narrative, '') || ' ' || coalesce(
        (SELECT string_agg(body, ' ' ORDER BY id) FROM case_additions
         WHERE case_id = p_case_id AND body IS NOT NULL), '');
BEGIN
    RETURN to_tsvector('simple', written || ' ' || coalesce(
        (SELECT string_agg(left(text, 20000), ' ' ORDER BY id) FROM attachments
         WHERE case_id = p_case_id AND text IS NOT NULL), ''));
EXCEPTION WHEN program_limit_exceeded THEN
    RETURN to_tsvector('simple', written);
END
$$
"""

_PREVIOUS_ON_CASE = """
CREATE OR REPLACE FUNCTION holos_case_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := holos_search_document(NEW.narrative, NEW.id);
    RETURN NEW;
END
$$
"""

_CHILD_FUNCTIONS = (
    ("holos_addition_search_document", "case_additions"),
    ("holos_attachment_search_document", "attachments"),
)
_TRIGGERS = {
    "cases": (
        "cases_search_document",
        "BEFORE INSERT OR UPDATE OF {columns}",
        "holos_case_search_document",
    ),
    "case_additions": (
        "case_additions_search_document",
        "AFTER INSERT OR DELETE OR UPDATE OF {columns}",
        "holos_addition_search_document",
    ),
    "attachments": (
        "attachments_search_document",
        "AFTER INSERT OR DELETE OR UPDATE OF {columns}",
        "holos_attachment_search_document",
    ),
}


def _pg_triggers(*, with_lemmas: bool) -> None:
    for table, column, _fts in _TEXTS:
        name, when, function = _TRIGGERS[table]
        columns = f"{column}, lemmas" if with_lemmas else column
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} {when.format(columns=columns)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def _sqlite_fts(*, with_lemmas: bool) -> None:
    for table, column, fts in _TEXTS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
        columns = [column, "lemmas"] if with_lemmas else [column]
        listed = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, content='{table}', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} WHEN new.{column} IS NOT NULL "
            f"BEGIN INSERT INTO {fts}(rowid, {listed}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} WHEN old.{column} IS NOT NULL "
            f"BEGIN INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {listed} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {listed}) "
            f"SELECT 'delete', old.id, {old} WHERE old.{column} IS NOT NULL; "
            f"INSERT INTO {fts}(rowid, {listed}) SELECT new.id, {new} "
            f"WHERE new.{column} IS NOT NULL; END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _lemmatise_if_cheap() -> None:
    bind = op.get_bind()
    rows = sum(
        int(bind.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL")) or 0)
        for table, column, _fts in _TEXTS
    )
    if rows > CHEAP_ROWS:
        print(  # noqa: T201 - the one hint an operator upgrading a big database needs
            f"holos: {rows} texts to lemmatise; run `holos search reindex` after migrating "
            "(until then they are found by their words' prefixes only)"
        )
        return
    from storage.lemmas import MAX_TEXT_CHARS, index_text  # noqa: PLC0415

    for table, column, _fts in _TEXTS:
        found = bind.execute(
            sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
        ).all()
        for row_id, text in found:
            lemmas = index_text(text[:MAX_TEXT_CHARS])
            if lemmas is not None:
                bind.execute(
                    sa.text(f"UPDATE {table} SET lemmas = :lemmas WHERE id = :id"),
                    {"lemmas": lemmas, "id": row_id},
                )


def _create_saved_filters() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_saved_filters_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_filters_user_id")),
    )
    op.create_index(op.f("ix_saved_filters_user_id"), "saved_filters", ["user_id"])


def upgrade() -> None:
    _create_saved_filters()
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, _column, _fts in _TEXTS:
        op.add_column(table, sa.Column("lemmas", sa.Text(), nullable=True))
    if postgresql:
        op.execute(_DOCUMENT)
        op.execute(_ON_CASE)
        for function, _table in _CHILD_FUNCTIONS:
            op.execute(
                _ON_CHILD.format(name=function, argument="concat_ws(' ', narrative, lemmas)")
            )
        _pg_triggers(with_lemmas=True)
        _lemmatise_if_cheap()
    else:
        _lemmatise_if_cheap()  # before the FTS5 tables are rebuilt: one pass
        _sqlite_fts(with_lemmas=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_filters_user_id"), table_name="saved_filters")
    op.drop_table("saved_filters")
    if op.get_bind().dialect.name == "postgresql":
        _pg_triggers(with_lemmas=False)
        op.execute(_PREVIOUS_ON_CASE)
        for function, _table in _CHILD_FUNCTIONS:
            op.execute(_ON_CHILD.format(name=function, argument="narrative"))
        op.execute(_PREVIOUS_DOCUMENT)
    else:
        # The FTS5 tables first: their triggers name the column dropped below.
        for table, _column, fts in _TEXTS:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    for table, _column, _fts in _TEXTS:
        op.execute(f"ALTER TABLE {table} DROP COLUMN lemmas")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE cases SET search_document = holos_search_document(narrative, id)")
    else:
        _sqlite_fts(with_lemmas=False)
