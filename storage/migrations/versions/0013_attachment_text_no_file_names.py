"""attachments keep their text, not their file name

Revision ID: 0013
Revises: 0011

Issue 18 §2. The reporter's file name can name them and is no longer kept: existing
names are overwritten (set to NULL, so the old ciphertext is not left in the row) and
the column dropped. A document's text (a flattened PDF's pages, a rebuilt office file's
words) is kept beside it: plain in ``attachments.text`` for a standard case, searched
like the narrative (an FTS5 table on SQLite; part of ``cases.search_document`` on
PostgreSQL), sealed in ``attachments.text_enc`` for a sensitive one (blind-indexed by
the service, like the narrative).

``rebuilt`` tells files made anew from what they show (every one stored from now on)
from those stored before, which were cleaned but not rebuilt: documents among those are
served as ``.bin`` until ``holos files rebuild`` rebuilds them.

Columns change in place (no batch mode): SQLite must not rebuild ``attachments``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Per file in the search document: a tsvector holds at most 1 MB, and a file's words are
# capped at 20,000 characters when kept (storage.media.documents.MAX_TEXT_CHARS).
_DOCUMENT = """
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
    -- Too many distinct words for one tsvector: the files' words are left out rather
    -- than the report refused.
    RETURN to_tsvector('simple', written);
END
$$
"""

_PREVIOUS_DOCUMENT = """
CREATE OR REPLACE FUNCTION holos_search_document(p_narrative text, p_case_id integer)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT to_tsvector('simple', coalesce(p_narrative, '') || ' ' || coalesce(
        (SELECT string_agg(body, ' ' ORDER BY id) FROM case_additions
         WHERE case_id = p_case_id AND body IS NOT NULL), ''))
$$
"""

_ON_ATTACHMENT = """
CREATE FUNCTION holos_attachment_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.case_id ELSE NEW.case_id END;
BEGIN
    UPDATE cases SET search_document = holos_search_document(narrative, id)
    WHERE id = target;
    RETURN NULL;
END
$$
"""

_FTS = "attachments_fts"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("UPDATE attachments SET filename_enc = NULL WHERE filename_enc IS NOT NULL")
    op.execute("ALTER TABLE attachments DROP COLUMN filename_enc")
    op.add_column("attachments", sa.Column("text", sa.Text(), nullable=True))
    op.add_column("attachments", sa.Column("text_enc", sa.LargeBinary(), nullable=True))
    # Files stored so far were cleaned, not rebuilt: documents among them are served as
    # .bin until `holos files rebuild` makes them anew.
    op.add_column(
        "attachments",
        sa.Column("rebuilt", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if dialect == "postgresql":
        op.execute(_DOCUMENT)
        op.execute(_ON_ATTACHMENT)
        op.execute(
            "CREATE TRIGGER attachments_search_document "
            "AFTER INSERT OR DELETE OR UPDATE OF text ON attachments FOR EACH ROW "
            "EXECUTE FUNCTION holos_attachment_search_document()"
        )
        return
    op.execute(
        f"CREATE VIRTUAL TABLE {_FTS} USING fts5(text, content='attachments', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"CREATE TRIGGER {_FTS}_ai AFTER INSERT ON attachments WHEN new.text IS NOT NULL "
        f"BEGIN INSERT INTO {_FTS}(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        f"CREATE TRIGGER {_FTS}_ad AFTER DELETE ON attachments WHEN old.text IS NOT NULL "
        f"BEGIN INSERT INTO {_FTS}({_FTS}, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        f"CREATE TRIGGER {_FTS}_au AFTER UPDATE OF text ON attachments BEGIN "
        f"INSERT INTO {_FTS}({_FTS}, rowid, text) "
        "SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL; "
        f"INSERT INTO {_FTS}(rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL; "
        "END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER attachments_search_document ON attachments")
        op.execute("DROP FUNCTION holos_attachment_search_document()")
        op.execute(_PREVIOUS_DOCUMENT)
    else:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {_FTS}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {_FTS}")
    op.execute("ALTER TABLE attachments DROP COLUMN rebuilt")
    op.execute("ALTER TABLE attachments DROP COLUMN text_enc")
    op.execute("ALTER TABLE attachments DROP COLUMN text")
    # The names are gone for good; the column comes back empty.
    op.add_column("attachments", sa.Column("filename_enc", sa.LargeBinary(), nullable=True))
