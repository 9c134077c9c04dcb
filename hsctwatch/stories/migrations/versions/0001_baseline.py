"""The schema of 0.1.0, the first release: the baseline every store starts from.

A store made by 0.1.0 (before migrations existed) already has these tables: they are kept as
they are, and only what that version's own start-up used to repair is repaired — indexes added
during its development are created, two it replaced are dropped.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: 0.1.0's tables, frozen here: the models (hsctwatch/stories/models.py) move on, this does not
metadata = sa.MetaData()
When = sa.DateTime(timezone=True)

sa.Table(
    "sources", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("first_seen", When, nullable=False),
    sa.Column("last_run_at", When),
    sa.Column("last_item_at", When),
)
sa.Table(
    "articles", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("guid", sa.String(200), nullable=False, unique=True),
    sa.Column("link", sa.Text, nullable=False),
    sa.Column("source", sa.String(100), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(500), nullable=False),
    sa.Column("published", When, index=True),
    sa.Column("updated", When),
    sa.Column("first_seen", When, nullable=False, index=True),
    sa.Column("last_seen", When, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, index=True),
    sa.Column("minhash", sa.LargeBinary),
    sa.Column("relevant", sa.Boolean, nullable=False, index=True),
    sa.Column("relevance_score", sa.Float, nullable=False),
    sa.Column("relevance_reasons", sa.JSON, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Index("ix_articles_publication", "id", "relevant", "status"),
)
sa.Table(
    "copies", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("url_key", sa.String(2000), nullable=False, unique=True),
    sa.Column("fetched_url", sa.Text, nullable=False),
    sa.Column("source", sa.String(100), nullable=False, index=True),
    sa.Column("guid", sa.String(2000), nullable=False),
    sa.Column("rel_canonical", sa.String(2000), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("published", When),
    sa.Column("content_hash", sa.String(64), nullable=False, index=True),
    sa.Column("attribution", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("site_name", sa.String(300), nullable=False),
    sa.Column("is_original", sa.Boolean, nullable=False),
    sa.Column("match_reason", sa.String(50), nullable=False),
    sa.Column("first_seen", When, nullable=False),
    sa.Column("last_seen", When, nullable=False),
    *(sa.Index(f"ix_copies_{column}_set", column, sqlite_where=sa.text(f"{column} != ''"),
               postgresql_where=sa.text(f"{column} != ''")) for column in ("guid", "rel_canonical")),
)
sa.Table(
    "tags", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("facet", sa.String(30), nullable=False),
    sa.Column("slug", sa.String(60), nullable=False, index=True),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("origin", sa.String(20), nullable=False),
    sa.UniqueConstraint("article_id", "slug"),
)
sa.Table(
    "item_edits", metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("editor", sa.String(100), nullable=False),
    sa.Column("at", When, nullable=False),
)
sa.Table(
    "users", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("last_login", When),
)
sa.Table(
    "decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("editor", sa.String(100), nullable=False),
    sa.Column("at", When, nullable=False),
)
sa.Table(
    "http_validators", metadata,
    sa.Column("url", sa.String(2000), primary_key=True),
    sa.Column("etag", sa.String(500), nullable=False),
    sa.Column("last_modified", sa.String(100), nullable=False),
    sa.Column("checked_at", When, nullable=False),
)
sa.Table(
    "crawl_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("command", sa.String(30), nullable=False),
    sa.Column("started_at", When, nullable=False),
    sa.Column("finished_at", When),
    sa.Column("status", sa.String(20), nullable=False),
)
sa.Table(
    "source_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id"), index=True),
    sa.Column("source", sa.String(100), nullable=False, index=True),
    sa.Column("started_at", When, nullable=False),
    sa.Column("finished_at", When),
    sa.Column("finish_reason", sa.String(100), nullable=False),
    *(sa.Column(name, sa.Integer, nullable=False) for name in (
        "requests", "responses", "bytes", "not_modified", "items", "new", "updated", "unchanged",
        "irrelevant", "duplicates", "dropped", "errors")),
    sa.Column("messages", sa.JSON, nullable=False),
    sa.Column("duration", sa.Float, nullable=False),
)

#: indexes that 0.1.0's development replaced (by the partial ix_copies_*_set)
REPLACED = ("ix_copies_guid", "ix_copies_rel_canonical")


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    metadata.create_all(bind, checkfirst=True)
    for table in metadata.sorted_tables:
        if table.name in existing:  # a store of 0.1.0: the indexes it may lack
            for index in table.indexes:
                index.create(bind, checkfirst=True)
    for name in REPLACED:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
