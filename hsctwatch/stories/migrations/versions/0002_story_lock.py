"""Parallel crawls: the story lock and each story's signature sequence.

Crawls in several processes (Scrapyd jobs, cluster workers) decide "new story or copy" one at a
time under the story lock, and load the signatures the others stored since they last looked
(hsctwatch.stories.models.StoryLock, Story.signature_seq).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    lock = op.create_table(
        "story_lock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(lock, [{"id": 1, "seq": 0}])
    with op.batch_alter_table("articles") as articles:
        articles.add_column(sa.Column("signature_seq", sa.BigInteger, nullable=True))
        articles.create_index("ix_articles_signature_seq", ["signature_seq"])


def downgrade() -> None:
    with op.batch_alter_table("articles") as articles:
        articles.drop_index("ix_articles_signature_seq")
        articles.drop_column("signature_seq")
    op.drop_table("story_lock")
