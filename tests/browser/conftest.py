"""Browser tests: the issuer and the verifier served for real on localhost, driven by Debian's
Chromium through Playwright (sync API).

Both apps run in this process under werkzeug's threaded server, each on a free port, over a
temporary SQLite database holding the demo partnership — wired as ``make run`` wires them: the
issuer's public URL is ``http://localhost:<port>`` (its did:web names that host), the verifier
may reach this machine and fetches ``https://localhost:<port>`` and ``http://localhost:<port>``
from ``http://127.0.0.1:<port>``, and the issuer's QR codes open that verifier. The verifier
checks accreditation against a demo registry of the demo organisations.

Without ``/usr/bin/chromium`` every browser test is skipped, saying how to install it.
``MICROCRED_SCREENSHOTS=1`` makes the tests save phone-sized screenshots into docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from demo.partnership import create_demo
from demo.registry import demo_registry
from issuer.app import create_app as create_issuer
from issuer.db import make_engine, session_factory, upgrade
from verifier.app import create_app as create_verifier

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}  # the screenshots' size
NARROW = 360  # the narrowest screen every page must fit without sideways scrolling
PASSPHRASE = "browser-test-passphrase"
TIMEOUT_MS = 15_000
ISSUER = "aarhus-demo-university"


class QuietHandler(WSGIRequestHandler):
    """No access log on the test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Slot:
    """A WSGI app set after the server is bound: the port decides the app's settings."""

    app: Callable[..., Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None, "the app is not set yet"
        return self.app(environ, start_response)


@dataclass
class Served:
    """A server in a thread, with the slot its app goes into."""

    server: BaseWSGIServer
    slot: Slot
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def serve() -> Served:
    """Bind a threaded server on a free loopback port and serve in a daemon thread."""
    slot = Slot()
    server = make_server("127.0.0.1", 0, slot, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    return Served(server, slot, thread)


@dataclass
class Issued:
    """A credential issued through the JSON API: its UUID, signed document, share link (and its
    token) and the learner's management link."""

    uuid: str
    document: dict[str, Any]
    share_url: str
    token: str
    manage_url: str


@dataclass
class Stack:
    """Both apps, where they answer, and the demo partnership's API tokens."""

    issuer_url: str
    verifier_url: str
    tokens: dict[str, str]
    staff_logins: dict[str, str]  # the demo staff users: e-mail address → password
    tmp: Path
    issued: dict[str, Issued] = field(default_factory=dict)

    def api(self, method: str, path: str, *, role: str = "issuer", **kwargs: Any) -> Any:
        """Call the issuer's JSON API as the demo issuer organisation; the parsed answer."""
        token = self.tokens[f"{ISSUER}:{role}"]
        response = httpx.request(
            method,
            f"{self.issuer_url}/api/v1{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )
        answer = f"{method} {path}: {response.status_code} {response.text}"
        assert response.status_code < 300, answer
        return response.json() if response.content else None

    def issue(self, reference: str, given: str, family: str) -> Issued:
        """Issue the demo specification to a learner through the API."""
        body = self.api(
            "POST",
            "/credentials",
            json={
                "specification": "green-data-analytics",
                "learner": {"reference": reference, "givenName": given, "familyName": family},
            },
        )
        share = body["shareUrl"]
        uuid = body["credential"]["id"].removeprefix("urn:uuid:")
        token = share.rsplit("/", 1)[-1]
        return Issued(uuid, body["document"], share, token, body["learnerManageUrl"])


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; every browser test is skipped (loudly) without it."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"!! BROWSER TESTS SKIPPED: {CHROMIUM} is missing. Install Debian's Chromium with "
            "`apt-get install chromium` (`make test` does so when run as root)."
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def stack(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The issuer and the verifier on localhost, with two credentials issued through the API:
    ``good``, and ``revoked`` — revoked at once, before the verifier ever fetches the status
    list (it caches status lists for their max-age)."""
    tmp = tmp_path_factory.mktemp("browser")
    issuer_server, verifier_server = serve(), serve()
    try:
        issuer_url = f"http://localhost:{issuer_server.port}"
        verifier_url = f"http://localhost:{verifier_server.port}"
        database = f"sqlite:///{tmp / 'issuer.sqlite3'}"
        engine = make_engine(database)
        upgrade(engine)
        with sessionmaker(bind=engine).begin() as session:
            demo = create_demo(session, base_url=issuer_url, passphrase=PASSPHRASE.encode())
            tokens, staff_logins = dict(demo.tokens), dict(demo.staff_logins)
            dids = [organisation.did for organisation in demo.organisations]
        engine.dispose()

        issuer = create_issuer(
            {
                "DATABASE_URL": database,
                "ISSUER_BASE_URL": issuer_url,
                "VERIFIER_BASE_URL": verifier_url,
                "KEY_PASSPHRASE": PASSPHRASE,
                "BULK_WORKER": "inline",
                "SECRET_KEY": "browser-tests",
            }
        )
        issuer.instance_path = str(tmp / "instance")
        issuer_server.slot.app = issuer

        authority, registry = demo_registry(dids)
        registry_path = tmp / "registry.json"
        registry_path.write_text(json.dumps(registry), encoding="utf-8")
        local = f"http://127.0.0.1:{issuer_server.port}"
        verifier_server.slot.app = create_verifier(
            {
                "FETCH_ALLOW_PRIVATE": True,
                "FETCH_REWRITES": {
                    f"https://localhost:{issuer_server.port}": local,
                    f"http://localhost:{issuer_server.port}": local,
                },
                "REGISTRY_PATH": str(registry_path),
                "REGISTRY_AUTHORITY": authority,
                "CACHE_DIR": str(tmp / "verifier-cache"),
                "SECRET_KEY": "browser-tests",
            }
        )

        stack = Stack(issuer_url, verifier_url, tokens, staff_logins, tmp)
        stack.issued["good"] = stack.issue("S-1001", "Ana", "Andersen")
        stack.issued["revoked"] = stack.issue("S-1002", "Bo", "Berg")
        stack.api("POST", f"/credentials/{stack.issued['revoked'].uuid}/revoke", json={})
        yield stack
        session_factory(issuer).kw["bind"].dispose()
    finally:
        verifier_server.stop()
        issuer_server.stop()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    """A headless Chromium for each test module. Not one for the session: while Playwright's
    sync API is open, its event loop counts as running in this thread, so ``asyncio.run`` in
    any later test (outside tests/browser) would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A fresh English-speaking phone-sized browser tab (its own cookies)."""
    context = browser.new_context(viewport=PHONE, locale="en-GB", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


# --- checks every page gets -------------------------------------------------------------------


# The innermost elements reaching past the right edge, to say what makes a page too wide.
WIDE_ELEMENTS = """(limit) => {
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (e.classList.length ? "." + [...e.classList].join(".") : "");
  const wide = [...document.body.querySelectorAll("*")].filter(
    (e) => e.getBoundingClientRect().right > limit + 0.5);
  return wide.filter((e) => !wide.some((o) => o !== e && e.contains(o)))
    .slice(0, 5).map((e) => `${name(e)} (${Math.round(e.getBoundingClientRect().right)} px)`);
}"""


def assert_fits_narrow_screen(page: Any) -> None:
    """At 360 px wide the page does not scroll sideways."""
    before = page.viewport_size
    page.set_viewport_size({"width": NARROW, "height": 740})
    # measured once the page is laid out at the new width (a frame after the window has it):
    # read at once, the width can still be the wider viewport's
    page.wait_for_function("(width) => window.innerWidth === width", arg=NARROW)
    width = page.evaluate(
        "new Promise((done) => requestAnimationFrame(() =>"
        " done(document.scrollingElement.scrollWidth)))"
    )
    wide = page.evaluate(WIDE_ELEMENTS, NARROW) if width > NARROW else []
    page.set_viewport_size(before)
    assert width <= NARROW, (
        f"{page.url} is {width} px wide at {NARROW} px: it scrolls sideways; too wide: {wide}"
    )


# Every form control a person fills in, and whether it has a label (or an aria-label).
UNLABELLED = """() => [...document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]), select, textarea")]
  .filter((e) => !e.labels.length && !e.getAttribute("aria-label"))
  .map((e) => e.outerHTML.slice(0, 120))"""


def assert_fields_labelled(page: Any) -> None:
    """Every form field of the page has a label."""
    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, f"fields without a label on {page.url}: {unlabelled}"


def tab_to(page: Any, target: Any, *, from_top: bool = True, presses: int = 25) -> None:
    """Press Tab (from the top of the page, or on from where the focus is) until ``target``
    has the keyboard focus."""
    if from_top:
        page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    for _ in range(presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{presses} presses of Tab on {page.url} never reached {target}")


def screenshot(page: Any, name: str) -> None:
    """With ``MICROCRED_SCREENSHOTS=1``, save the page at phone size as
    docs/screenshots/NAME.png (normal runs write nothing)."""
    if os.environ.get("MICROCRED_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    page.evaluate("document.activeElement && document.activeElement.blur(); scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
