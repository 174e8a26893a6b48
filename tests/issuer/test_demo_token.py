"""``make run`` keeps its demo token (``instance/demo_token``) across starts instead of making a
new one each time (on main before this every start made a new token and the old ones stayed
valid); a lost or revoked kept token is replaced and the older demo tokens are revoked."""

from __future__ import annotations

import os

from sqlalchemy import select

from demo.partnership import ensure_demo
from issuer.auth.tokens import hash_token
from issuer.db import transaction
from issuer.models import ApiToken


def _revoked(app, token: str) -> bool:  # type: ignore[no-untyped-def]
    with transaction(app) as session:
        found = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        assert found is not None
        return found.revoked_at is not None


def test_the_kept_token_is_reused_across_starts(app, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "instance" / "demo_token"
    with app.app_context():
        first = ensure_demo(app, token_file=path).token
        second = ensure_demo(app, token_file=path).token
    assert first == second
    assert path.read_text().strip() == first
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not _revoked(app, first)


def test_a_lost_token_is_replaced_and_the_old_demo_tokens_revoked(app, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "demo_token"
    with app.app_context():
        first = ensure_demo(app, token_file=path).token
        path.unlink()
        second = ensure_demo(app, token_file=path).token
    assert first != second
    assert _revoked(app, first)
    assert not _revoked(app, second)


def test_without_a_token_file_each_setup_makes_a_token(app, demo) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        assert ensure_demo(app).token != ensure_demo(app).token
