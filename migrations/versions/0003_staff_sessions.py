"""Sessions that end, and tokens with an explicit scope.

``staff_sessions``: a staff user's signed-in session kept by the server. The cookie carries
only a random secret; the row holds its SHA-256, when the session began (a session lasts at
most ``STAFF_SESSION_HOURS`` by this record), when it was last used, and when and why it ended
(signed out, password changed, replaced by a new sign-in). Every worker and every app instance
over the database sees the same rows, and they survive a restart. Cookies of the earlier
schema (user id and a sign-in time in the signed cookie) are no longer accepted: staff sign in
once more after the upgrade.

``api_tokens.scope``: ``organisation`` (the default, given to every existing token) or
``partnership``. An organisation token changes only credentials its organisation issued or
co-awarded; a partnership token may change any credential of its partnership.

Downgrading drops both: the older code treats every token as partnership-wide and keeps
sessions in the cookie alone.

Revision ID: 0003_staff_sessions
Revises: 0002b_key_compromised
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import issuer.models

revision = "0003_staff_sessions"
down_revision = "0002b_key_compromised"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scope",
                sa.Enum(
                    "organisation",
                    "partnership",
                    name="tokenscope",
                    native_enum=False,
                    length=32,
                ),
                server_default="organisation",
                nullable=False,
            )
        )

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("password_check", sa.String(length=64), nullable=False),
        sa.Column("created_at", issuer.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", issuer.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", issuer.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_created_at"))
        batch_op.drop_index(batch_op.f("ix_staff_sessions_user_id"))
    op.drop_table("staff_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("scope")
