"""The issuer's ``/`` is a page that says what the service is and links to the staff sign-in,
the API docs and the verifier, in English and Danish (on main before this it was a JSON 404);
``/favicon.ico`` is an icon (it was a 404 logged on every page)."""

from __future__ import annotations

import io
from html import unescape

from PIL import Image


def test_home_page_links_to_sign_in_docs_and_verifier(app, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = unescape(response.get_data(as_text=True))
    assert 'href="/staff/login"' in html
    assert 'href="/docs"' in html
    assert f'href="{app.config["VERIFIER_BASE_URL"].rstrip("/")}"' in html
    assert client.get("/docs").status_code == 200


def test_home_page_in_danish(client) -> None:  # type: ignore[no-untyped-def]
    html = unescape(client.get("/?lang=da").get_data(as_text=True))
    assert 'lang="da"' in html
    assert "Log ind" in html


def test_favicon(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    data = response.data
    response.close()
    with Image.open(io.BytesIO(data)) as icon:
        assert icon.format == "ICO"
