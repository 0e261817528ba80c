"""What the data pages' browser tests share: opening a page as a role, asking the API what
that role reads, and writing numbers as the pages write them."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.browser import Demo, Tab

ROLES = ("admin", "viewer", "institution", "expert", "unit")
"""The demo's tokens, one per role."""

BEIJING = ZoneInfo("Asia/Shanghai")


def graphql(demo: Demo, role: str, document: str, **variables: Any) -> dict[str, Any]:
    """The ``data`` the role's token reads; a field the role may not read is null (its
    FORBIDDEN error is dropped, as the pages drop it), any other error fails the test."""
    answer = httpx.post(
        f"{demo.url}/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {demo.token(role)}"},
        timeout=30,
    ).json()
    unexpected = [
        e for e in answer.get("errors", []) if e.get("extensions", {}).get("code") != "FORBIDDEN"
    ]
    assert not unexpected, unexpected
    data: dict[str, Any] = answer["data"]
    return data


def open_page(tab: Tab, demo: Demo, role: str, address: str, language: str = "zh") -> Page:
    """The dashboard at ``#/<address>``, signed in with the role's token (put in the tab's
    sessionStorage as the sign-in form would), once the page has rendered."""
    page = tab.page
    token = demo.token(role)
    page.context.add_init_script(
        f"sessionStorage.setItem('sanquan.token', {token!r});"
        f"localStorage.setItem('sanquan.language', {language!r});"
    )
    page.goto(f"{demo.url}/#/{address}")
    page_id = address.split("/", maxsplit=1)[0]
    expect(page.locator(f'#page section[data-page="{page_id}"] h2')).to_be_visible()
    expect(page.locator("#page section[aria-busy]")).to_have_count(0)
    return page


def shown(value: float | None, digits: int = 1) -> str:
    """A number as the pages write it (``Intl.NumberFormat``: halves away from zero on the
    exact binary value), "—" for none."""
    if value is None:
        return "—"
    exponent = Decimal(1).scaleb(-digits)
    return str(Decimal(value).quantize(exponent, rounding=ROUND_HALF_UP))


def beijing(instant: str) -> str:
    """An API instant as the pages write it: ``2026-03-01 14:05`` in Beijing."""
    return datetime.fromisoformat(instant).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def current_quarter() -> str:
    now = datetime.now(BEIJING)
    return f"{now.year}Q{(now.month - 1) // 3 + 1}"


def texts(page: Page, selector: str) -> list[str]:
    found: list[str] = page.locator(selector).all_inner_texts()
    return [text.strip() for text in found]
