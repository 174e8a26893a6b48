"""``GET /docs``: the OpenAPI document rendered for people, on the server, fetching nothing."""

from __future__ import annotations

import re


def test_docs_page_lists_every_operation_and_schema(client):
    document = client.get("/openapi.json").get_json()
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()} {path}" in page
            assert f'id="{operation["operationId"]}"' in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page


def test_docs_page_fetches_nothing_from_elsewhere(client):
    response = client.get("/docs")
    page = response.get_data(as_text=True)
    assert "<script" not in page
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith(("/", "#", "?")), url
