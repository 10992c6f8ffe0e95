"""Helpers of the browser tests: the stack's address, pages, axe-core and screenshots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page
from sqlalchemy.engine import Engine

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class Stack:
    url: str
    engine: Engine


async def new_page(
    browser: Browser, *, locale: str = "en-GB", zone: str = "Asia/Jakarta"
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=DESKTOP, locale=locale, timezone_id=zone)  # type: ignore[arg-type]
    return context, await context.new_page()


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical accessibility violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)"""
    )
    return list(found)


async def screenshots(page: Page, name: str) -> None:
    """The page at desktop and phone width, into screenshots/ (git-ignored), then back to desktop."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, size in (("1280", DESKTOP), ("390", PHONE)):
        await page.set_viewport_size(size)  # type: ignore[arg-type]
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]


async def check(page: Page, name: str) -> None:
    """No serious or critical accessibility violation on the page, and its screenshots taken."""
    assert await serious_violations(page) == []
    await screenshots(page, name)
