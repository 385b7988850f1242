"""one search document per case on PostgreSQL

Revision ID: 0009
Revises: 0008

``cases.search_document`` is a ``tsvector`` of the narrative and every addition, kept
by triggers and GIN-indexed, so a search is one predicate on ``cases``: the planner
walks the date index with LIMIT for a common word (cheap: the vector is stored, not
recomputed per row) or the GIN index for a rare one. It replaces the two expression
indexes of 0001. PostgreSQL only: SQLite keeps its FTS5 tables (see storage.search).
The column is outside the models on purpose (never loaded with a case).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The document of one case: its narrative and its additions' plain text ('simple'
# configuration: no stemming, prefix queries do the work; see storage.search).
_DOCUMENT = """
CREATE FUNCTION holos_search_document(p_narrative text, p_case_id integer)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT to_tsvector('simple', coalesce(p_narrative, '') || ' ' || coalesce(
        (SELECT string_agg(body, ' ' ORDER BY id) FROM case_additions
         WHERE case_id = p_case_id AND body IS NOT NULL), ''))
$$
"""

_ON_CASE = """
CREATE FUNCTION holos_case_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := holos_search_document(NEW.narrative, NEW.id);
    RETURN NEW;
END
$$
"""

_ON_ADDITION = """
CREATE FUNCTION holos_addition_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.case_id ELSE NEW.case_id END;
BEGIN
    UPDATE cases SET search_document = holos_search_document(narrative, id)
    WHERE id = target;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE cases ADD COLUMN search_document tsvector")
    op.execute(_DOCUMENT)
    op.execute(_ON_CASE)
    op.execute(_ON_ADDITION)
    op.execute(
        "CREATE TRIGGER cases_search_document BEFORE INSERT OR UPDATE OF narrative "
        "ON cases FOR EACH ROW EXECUTE FUNCTION holos_case_search_document()"
    )
    op.execute(
        "CREATE TRIGGER case_additions_search_document "
        "AFTER INSERT OR DELETE OR UPDATE OF body ON case_additions "
        "FOR EACH ROW EXECUTE FUNCTION holos_addition_search_document()"
    )
    op.execute("UPDATE cases SET search_document = holos_search_document(narrative, id)")
    op.execute("CREATE INDEX ix_cases_search_document ON cases USING gin (search_document)")
    op.execute("DROP INDEX IF EXISTS ix_cases_narrative_fts")
    op.execute("DROP INDEX IF EXISTS ix_case_additions_body_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_cases_narrative_fts ON cases "
        "USING gin (to_tsvector('simple', coalesce(narrative, '')))"
    )
    op.execute(
        "CREATE INDEX ix_case_additions_body_fts ON case_additions "
        "USING gin (to_tsvector('simple', coalesce(body, '')))"
    )
    op.execute("DROP TRIGGER case_additions_search_document ON case_additions")
    op.execute("DROP TRIGGER cases_search_document ON cases")
    op.execute("DROP FUNCTION holos_addition_search_document()")
    op.execute("DROP FUNCTION holos_case_search_document()")
    op.execute("DROP FUNCTION holos_search_document(text, integer)")
    op.execute("DROP INDEX ix_cases_search_document")
    op.execute("ALTER TABLE cases DROP COLUMN search_document")
