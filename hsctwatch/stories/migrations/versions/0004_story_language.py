"""The language of a story: articles.language ("" for stories stored before languages were told).

A store made before migrations by a version that told languages already has it: kept as it is.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {column["name"] for column in inspector.get_columns("articles")}
    indexes = {index["name"] for index in inspector.get_indexes("articles")}
    with op.batch_alter_table("articles") as articles:
        if "language" not in columns:
            articles.add_column(sa.Column("language", sa.String(12), nullable=False, server_default=""))
        if "ix_articles_language" not in indexes:
            articles.create_index("ix_articles_language", ["language"])


def downgrade() -> None:
    with op.batch_alter_table("articles") as articles:
        articles.drop_index("ix_articles_language")
        articles.drop_column("language")
