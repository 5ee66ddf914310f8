"""Accessibility helpers for the browser tests: axe-core injection and focus checks.

axe-core is an npm dev dependency (package.json, package-lock.json), installed into
node_modules/ by ``scripts/ensure-chromium.sh`` (``npm ci``), which ``make test`` runs.
It is injected with ``BrowserContext.add_init_script``: Playwright adds the script through
the DevTools protocol, so the pages' Content-Security-Policy (``script-src 'self'``) stays
as it is in production and still applies to everything else.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# what make test gates on; moderate/minor findings are reported, not fatal
BLOCKING = ("serious", "critical")
LOG = "#chat-log"
BOT = "#chat-log li.msg.bot, #chat-log li.msg.staff"

_RUN = """async () => {
  // a message's fade-in runs .25 s; colours are measured once it has ended
  await Promise.all(document.getAnimations().map(a => a.finished));
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }
  });
  return {
    version: axe.version,
    violations: result.violations.map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map(n =>
        n.target.join(" ") + " :: " + (n.failureSummary || "").replace(/\\s+/g, " "))
    }))
  };
}"""


def axe_path() -> Path:
    """The installed axe-core script; skips the test with the fix when it is absent."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `bash scripts/ensure-chromium.sh` (npm ci)")
    return AXE


def new_context(browser: Any, width: int = 1280, height: int = 800, **kwargs: Any) -> Any:
    """A German browser context with axe-core available on every page."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="de-DE", **kwargs
    )
    context.add_init_script(path=str(axe_path()))
    return context


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """All axe-core violations (WCAG 2.1 A/AA and best practice) of the page as it is now."""
    result = page.evaluate(_RUN)
    assert result["version"].startswith("4."), result["version"]
    return list(result["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations of impact serious or critical."""
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable list for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} nodes)")
        lines.extend(f"    {n}" for n in v["nodes"][:5])
    return "\n".join(lines)


def wait_for_message(page: Any, text: str, timeout: float = 30.0, start: int = 0) -> str:
    """Waits for a bot message (from index ``start``) containing ``text``.

    Polls with locators: the CSP forbids the eval that ``wait_for_function`` needs.
    """
    deadline = time.monotonic() + timeout
    texts: list[str] = []
    while time.monotonic() < deadline:
        texts = page.locator(BOT).all_inner_texts()[start:]
        if any(text in t for t in texts):
            page.wait_for_timeout(300)  # the rest of a multi-part answer
            return "\n".join(page.locator(BOT).all_inner_texts()[start:])
        page.wait_for_timeout(100)
    raise AssertionError(f"no bot message with {text!r}: {texts}")


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus, and whether its focus indicator is visible."""
    return dict(
        page.evaluate(
            """() => {
          const el = document.activeElement;
          if (!el || el === document.body || el === document.documentElement) {
            return { tag: "body", id: "", text: "", visible: false, indicator: false };
          }
          const style = getComputedStyle(el);
          const rect = el.getBoundingClientRect();
          const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
          const shadow = style.boxShadow && style.boxShadow !== "none";
          return {
            tag: el.tagName.toLowerCase(),
            id: el.id,
            text: (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 80),
            href: el.getAttribute("href") || "",
            disabled: !!el.disabled,
            visible: rect.width > 0 && rect.height > 0 && style.visibility !== "hidden",
            indicator: outline || !!shadow
          };
        }"""
        )
    )
