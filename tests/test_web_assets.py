"""The pages' files come from the installed package, never from outside: the vendored
libraries are the files their manifest records, each package with its licence beside it; a
vendored file is kept by browsers for good (its address names its version), ours are
revalidated; and no page or file names an outside address a browser would fetch."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sanquan.api.headers import DATA_POLICY, PAGE_POLICY
from sanquan.app import create_app
from sanquan.config import Settings
from sanquan.plugins.host import PluginHost
from sanquan.web import assets
from sanquan.web.pages import FOREVER, REVALIDATE

pytestmark = pytest.mark.engine_independent

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "service" / "sanquan"
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"

ADDRESS = re.compile(r"\b(?:https?|wss?):\/\/([A-Za-z0-9.-]+)")
NAMED_ELSEWHERE = {
    "www.w3.org": "XML namespace names (SVG, XHTML, MathML, XLink): identifiers, never fetched",
    "reactjs.org": "React's production errors name its error decoder in their text",
    "github.com": "GraphiQL's logo links to its project; ECharts' licence comment; error texts",
    "www.apache.org": "ECharts' licence comment",
    "codemirror.net": "a link to the editor's manual in GraphiQL's shortcuts dialog",
    "commonmark.org": "graphql-js' descriptions of introspection fields cite CommonMark",
    "en.wikipedia.org": "graphql-js' description of the Float scalar cites IEEE 754",
}
"""Hosts that the vendored libraries name without fetching anything from them (the browser
tests route every request and fail on any that would leave the machine)."""


@pytest.fixture
def client(settings: Settings, host: PluginHost) -> Iterator[TestClient]:
    with TestClient(create_app(settings, host)) as client:
        yield client


def served_files() -> list[Path]:
    return sorted(path for path in assets.STATIC.rglob("*") if path.is_file())


def test_vendored_files_match_their_manifest() -> None:
    assert assets.mismatches() == [], "run scripts/vendor.py, or undo the change"
    assert set(assets.vendored()) >= {"react", "react-dom", "graphiql", "echarts", "graphql-ws"}


def test_each_vendored_package_has_its_licence_beside_it() -> None:
    for package in assets.vendored().values():
        assert package.license, package.name
        assert "LICENSE" in package.files, package.name
        assert "copyright" in (package.folder / "LICENSE").read_text().lower(), package.name
    assert "NOTICE" in assets.vendored()["echarts"].files, "Apache-2.0 asks for the NOTICE"


def test_only_minified_builds_are_vendored() -> None:
    """Whole packages would weigh tens of megabytes: one built file each, and licences."""
    for package in assets.vendored().values():
        code = [f for f in package.files if f.endswith((".js", ".css"))]
        assert code and all(".min." in f for f in code), package.name
    total = sum(path.stat().st_size for path in assets.VENDOR.rglob("*") if path.is_file())
    assert total < 4_000_000


def test_vendored_files_are_served_as_recorded_and_kept_for_good(client: TestClient) -> None:
    for package in assets.vendored().values():
        for file, digest in package.files.items():
            answer = client.get(package.url(file))
            assert answer.status_code == 200, file
            assert hashlib.sha256(answer.content).hexdigest() == digest, file
            assert answer.headers["cache-control"] == FOREVER
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["content-security-policy"] == DATA_POLICY
            if file.endswith(".js"):
                assert "javascript" in answer.headers["content-type"]
            elif file.endswith(".css"):
                assert answer.headers["content-type"].startswith("text/css")


def test_our_own_files_are_revalidated(client: TestClient) -> None:
    answer = client.get("/static/graphiql/start.js")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == REVALIDATE
    again = client.get(
        "/static/graphiql/start.js", headers={"If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == REVALIDATE
    assert client.get("/static/nothing.js").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    assert client.post("/static/graphiql/start.js").status_code == 405


def pages(settings: Settings, host: PluginHost) -> dict[str, str]:
    """Every page the service serves, by address, GraphiQL switched on."""
    with TestClient(create_app(replace(settings, graphiql=True), host)) as client:
        answers = {
            "/": client.get("/", headers={"Accept": BROWSER}),
            "/graphql": client.get("/graphql", headers={"Accept": BROWSER}),
        }
    for answer in answers.values():
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == PAGE_POLICY
    return {address: answer.text for address, answer in answers.items()}


def test_the_dashboard_keeps_every_security_header(client: TestClient) -> None:
    page = client.get("/", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "set-cookie" not in page.headers, "the token lives in sessionStorage, no cookie"
    assert client.post("/").status_code == 405
    forged = client.get("/", headers={"Accept": BROWSER, "Host": "evil.example"})
    assert forged.status_code == 400
    assert forged.json()["errors"][0]["extensions"]["code"] == "DISALLOWED_HOST"
    answer = client.post("/graphql", json={"query": "{ viewer { name } }"})
    assert answer.status_code == 401
    assert answer.headers["content-security-policy"] == DATA_POLICY


def test_pages_name_only_files_the_service_serves(
    client: TestClient, settings: Settings, host: PluginHost
) -> None:
    for address, html in pages(settings, host).items():
        named = re.findall(r'(?:src|href|content)="([^"]+)"', html)
        files = [name for name in named if name.startswith("static/")]
        assert files, address
        for name in files:
            assert client.get(f"/{name}").status_code == 200, (address, name)
        assert not [name for name in named if name.startswith(("//", "http:", "https:"))]


def test_no_page_or_file_names_an_outside_address(settings: Settings, host: PluginHost) -> None:
    texts = pages(settings, host)
    licences = {"LICENSE", "LICENSE-d3", "NOTICE"}
    for path in served_files():
        if path.name not in licences:
            texts[str(path.relative_to(assets.STATIC))] = path.read_text(encoding="utf-8")
    assert any(name.startswith("vendor/") for name in texts)
    for name, text in texts.items():
        hosts = set(ADDRESS.findall(text))
        if name.startswith("vendor/"):
            assert hosts <= set(NAMED_ELSEWHERE), (name, hosts - set(NAMED_ELSEWHERE))
        else:
            # ours: an SVG names its XML namespace, nothing else names a host at all
            assert hosts <= ({"www.w3.org"} if name.endswith(".svg") else set()), (name, hosts)


def test_the_package_ships_every_file_the_pages_use() -> None:
    """The wheel takes what ``package-data`` names: every served file, every template."""
    configuration = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = configuration["tool"]["setuptools"]["package-data"]["sanquan"]
    shipped = {path for pattern in patterns for path in PACKAGE.glob(pattern) if path.is_file()}
    needed = {*served_files(), *assets.TEMPLATES.glob("*.html"), assets.MANIFEST}
    assert needed - shipped == set()


def test_the_page_policy_allows_nothing_from_outside_and_no_inline_script() -> None:
    directives = dict(part.strip().split(" ", 1) for part in PAGE_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert "script-src" not in directives, "scripts fall back to 'self'"
    assert "connect-src" not in directives, "connections fall back to 'self'"
    assert "http" not in PAGE_POLICY
    unsafe = [name for name, sources in directives.items() if "unsafe" in sources]
    assert unsafe == ["style-src-attr"], "ECharts' style attributes, and nothing else"
    assert directives["frame-ancestors"] == "'none'"
