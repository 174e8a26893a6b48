"""The learner's record: sign-in links, set links (one link over several credentials) and the
moments a set link was opened.

``learner_signins`` keeps only the SHA-256 of a sign-in token. ``set_links`` mirrors
``share_links`` (a token, an optional expiry, withdrawal) for a chosen set of one learner's
credentials (``set_link_credentials``, in order) and counts its opens; ``set_link_opens`` keeps
the latest moments it was opened — the time only, nothing about who opened it.

Downgrading drops the four tables (the links stop existing).

Revision ID: 0010_learner_records
Revises: 0009_organisation_logos
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from issuer.models import UTCDateTime

revision = "0010_learner_records"
down_revision = "0009_organisation_logos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_signins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_learner_signins_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_signins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_learner_signins_token_hash")),
    )
    op.create_index(
        op.f("ix_learner_signins_learner_id"), "learner_signins", ["learner_id"], unique=False
    )
    op.create_table(
        "set_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("open_count", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_set_links_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_links")),
        sa.UniqueConstraint("token", name=op.f("uq_set_links_token")),
    )
    op.create_index(op.f("ix_set_links_learner_id"), "set_links", ["learner_id"], unique=False)
    op.create_table(
        "set_link_credentials",
        sa.Column("set_link_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_set_link_credentials_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["set_link_id"],
            ["set_links.id"],
            name=op.f("fk_set_link_credentials_set_link_id_set_links"),
        ),
        sa.PrimaryKeyConstraint(
            "set_link_id", "credential_id", name=op.f("pk_set_link_credentials")
        ),
    )
    op.create_table(
        "set_link_opens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_link_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_link_id"], ["set_links.id"], name=op.f("fk_set_link_opens_set_link_id_set_links")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_link_opens")),
    )
    op.create_index(
        op.f("ix_set_link_opens_set_link_id"), "set_link_opens", ["set_link_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_set_link_opens_set_link_id"), table_name="set_link_opens")
    op.drop_table("set_link_opens")
    op.drop_table("set_link_credentials")
    op.drop_index(op.f("ix_set_links_learner_id"), table_name="set_links")
    op.drop_table("set_links")
    op.drop_index(op.f("ix_learner_signins_learner_id"), table_name="learner_signins")
    op.drop_table("learner_signins")
