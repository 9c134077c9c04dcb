"""Near misses, desk sessions and the email digest: articles.borderline, desk_sessions,
digest_lists and digest_sent.

A store made between 0.1.0 and migrations may already have them (that version made its tables
and added the column when it opened a store): what is there is kept, only what is missing is made.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    columns = {column["name"] for column in inspector.get_columns("articles")}
    indexes = {index["name"] for index in inspector.get_indexes("articles")}
    with op.batch_alter_table("articles") as articles:
        if "borderline" not in columns:
            articles.add_column(sa.Column("borderline", sa.Boolean, nullable=False,
                                          server_default=sa.false()))
        if "ix_articles_borderline" not in indexes:
            articles.create_index("ix_articles_borderline", ["borderline"])
    if "desk_sessions" not in tables:
        op.create_table(
            "desk_sessions",
            sa.Column("key_hash", sa.String(64), primary_key=True),
            sa.Column("user", sa.String(100), nullable=False),
            sa.Column("created_at", When, nullable=False),
        )
        op.create_index("ix_desk_sessions_user", "desk_sessions", ["user"])
    if "digest_lists" not in tables:
        op.create_table(
            "digest_lists",
            sa.Column("name", sa.String(100), primary_key=True),
            sa.Column("since", When, nullable=False),
            sa.Column("last_sent_at", When),
        )
    if "digest_sent" not in tables:
        op.create_table(
            "digest_sent",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("list_name", sa.String(100), nullable=False),
            sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
                      nullable=False),
            sa.Column("sent_at", When, nullable=False),
            sa.UniqueConstraint("list_name", "article_id"),
        )
        op.create_index("ix_digest_sent_article_id", "digest_sent", ["article_id"])


def downgrade() -> None:
    op.drop_table("digest_sent")
    op.drop_table("digest_lists")
    op.drop_table("desk_sessions")
    with op.batch_alter_table("articles") as articles:
        articles.drop_index("ix_articles_borderline")
        articles.drop_column("borderline")
