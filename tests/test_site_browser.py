"""The demo's readable site in real headless Chromium (Debian's package, driven by Playwright), as
a person who has never used a feed reader meets it: `public/index.html` opened from the disk with
JavaScript off, on a wide screen and on a phone, with the keyboard, and served by the desk.

Screenshots go to test-artifacts/ (site-*.png). As for the desk's browser tests, CI installs
Chromium and sets HSCT_WATCH_REQUIRE_BROWSER=1; elsewhere a missing browser skips these tests.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
from waitress.server import create_server  # type: ignore[import-untyped,unused-ignore]

from tests.test_desk_browser import ARTIFACTS, CHROMIUM, FLAGS  # skips this module without Chromium

sync_api = pytest.importorskip("playwright.sync_api")

# The ratio of two colours' relative luminance (WCAG 2), with the background a text really sits
# on: the first ancestor whose background is not transparent.
CONTRAST = """(element) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let node = element, background = "rgb(255, 255, 255)";
  while (node && node.nodeType === 1) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== "transparent" && !bg.startsWith("rgba(0, 0, 0, 0")) { background = bg; break; }
    node = node.parentElement;
  }
  const [a, b] = [lum(getComputedStyle(element).color), lum(background)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, run as its README says, into a folder of its own."""
    folder = tmp_path_factory.mktemp("site-demo")
    result = subprocess.run([sys.executable, "-m", "hsctwatch", "demo", "--dir", str(folder), "--port", "0",
                             "--quiet"], cwd=folder, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder / "public"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Any, url: str, **context: Any) -> tuple[Any, Any, list[str]]:
    ctx = browser.new_context(**({"viewport": {"width": 1280, "height": 900}} | context))
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    return ctx, page, requests


def test_a_person_reads_the_demo_from_the_disk_with_javascript_off(public: Path, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    entries = feedparser.parse((public / "rss.xml").read_bytes()).entries
    ctx, page, requests = open_page(browser, (public / "index.html").as_uri(), java_script_enabled=False)
    try:
        page.screenshot(path=str(ARTIFACTS / "site-index.png"), full_page=True)
        assert page.title() == "HSCT for MS (demo)"
        assert page.locator("main article").count() == len(entries) > 10
        first = page.locator("main article").first
        assert first.locator("h3 a").get_attribute("href") == entries[0].link
        assert first.locator("time").is_visible() and first.locator("p.excerpt").is_visible()
        # the style sheet came with the folder: the header is in the site's colour
        assert page.locator("header.site").evaluate("e => getComputedStyle(e).backgroundColor") == \
            "rgb(11, 58, 110)"
        box = page.locator("aside#subscribe")
        assert box.is_visible() and "Download the list of all feeds (OPML)" in box.inner_text()
        assert box.locator("a[href^='mailto:']").inner_text() == "Get the email digest"
        assert page.locator("#topics h3").all_inner_texts()[:2] == ["Type of article", "Form of MS"]
        assert all(url.startswith("file://") for url in requests)  # nothing fetched from anywhere

        chip = first.locator("ul.chips a", has_text="Relapsing MS")
        chip.click()
        page.wait_for_url("**/tags/rrms.html")
        assert page.locator("h1").inner_text() == "Relapsing MS"
        assert page.locator("#feed-address").input_value().endswith("/feeds/tags/rrms.xml")
        page.screenshot(path=str(ARTIFACTS / "site-tag.png"), full_page=True)
        page.locator("nav a", has_text="Latest stories").click()
        page.wait_for_url("**/index.html")
    finally:
        ctx.close()


def test_on_a_phone_the_stories_come_first_and_nothing_overflows(public: Path, browser: Any) -> None:
    ctx, page, _ = open_page(browser, (public / "index.html").as_uri(),
                             viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                             has_touch=True)
    try:
        page.screenshot(path=str(ARTIFACTS / "site-phone.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        story = page.locator("main article").first.bounding_box()
        box = page.locator("aside#subscribe").bounding_box()
        assert story is not None and box is not None
        assert box["y"] > story["y"] and box["width"] > 300  # below the stories, the screen's width
        assert page.locator("body").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
        page.locator("aside#subscribe").screenshot(path=str(ARTIFACTS / "site-phone-subscribe.png"))
        for link in page.locator("nav a").all():  # big enough to tap
            size = link.bounding_box()
            assert size is not None and size["height"] >= 20
    finally:
        ctx.close()


def test_the_keyboard_reaches_everything_and_text_has_contrast(public: Path, browser: Any) -> None:
    ctx, page, _ = open_page(browser, (public / "index.html").as_uri())
    try:
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        assert page.evaluate("document.activeElement.className") == "skip"
        shown = skip.bounding_box()
        assert shown is not None and shown["y"] >= 0  # it comes into view when reached
        assert skip.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 191, 71)"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('article h3') !== null")
        assert focused, "after skipping, the first stop is the first story's headline"
        outline = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                          return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        assert outline[0] == "solid" and outline[1] >= 3
        page.screenshot(path=str(ARTIFACTS / "site-keyboard.png"))
        for selector in ("main h1", "p.intro", "article h3 a", "p.meta", "p.excerpt", "a.chip", "p.also a",
                         "nav a", ".brand a", "aside#subscribe p", "aside#subscribe a", "footer.site p",
                         "span.count", "a.feedlink"):
            element = page.locator(selector).first
            ratio = element.evaluate(CONTRAST)
            assert ratio >= 7, f"{selector}: contrast {ratio:.1f}:1"
    finally:
        ctx.close()


def test_the_site_served_by_the_desk_under_its_security_policy(public: Path, browser: Any) -> None:
    from hsctwatch.config import load_config
    from hsctwatch.web import create_app

    app = create_app(load_config(public.parent / "hsct-watch.toml"), rebuild=False)
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        response = page.goto(f"http://127.0.0.1:{server.effective_port}/feeds/")
        assert response is not None and response.status == 200
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert page.locator("header.site").evaluate("e => getComputedStyle(e).backgroundColor") == \
            "rgb(11, 58, 110)"  # the stylesheet is allowed
        page.locator("#topics a[href='tags/ppms.html']").click()
        page.wait_for_url("**/feeds/tags/ppms.html")
        assert page.locator("main article").count() >= 1
        assert not [m for m in console if "Content Security Policy" in m], console
        ctx.close()
    finally:
        server.close()
