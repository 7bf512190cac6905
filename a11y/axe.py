"""axe-core in a real browser: run it on the page as it is now, list what it finds.

Used by the browser tests only (never by runtime code). axe-core comes from the
`axe-playwright-python` package, which bundles `axe.min.js`.

    from a11y.axe import run_axe, assert_no_violations

    violations = run_axe(page)                # -> list of axe violation dicts
    assert_no_violations(page, "report: who") # AssertionError listing every violation

The app's Content-Security-Policy forbids inline scripts, so `page.add_script_tag` only works in
a browser context created with `bypass_csp=True` (use such a context only where axe runs; the
suite checks the real CSP separately). If the tag was blocked anyway, the script is evaluated
through the DevTools protocol instead, which CSP does not govern.

WCAG 2.2 is asked for explicitly: axe's only WCAG 2.2 rule, `target-size`, is off unless the
`wcag22aa` tag is requested.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["TAGS", "axe_source_path", "run_axe", "format_violations", "assert_no_violations"]

TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")

_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    tags: v.tags,
    nodes: v.nodes.map(n => ({
      target: n.target,
      html: n.html,
      failureSummary: n.failureSummary,
    })),
  }));
}"""


@cache
def axe_source_path() -> Path:
    """The axe.min.js bundled with axe-playwright-python."""
    import axe_playwright_python

    path = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"axe.min.js not found next to {axe_playwright_python.__file__}")
    return path


def _inject(page) -> None:
    if page.evaluate("typeof window.axe !== 'undefined'"):
        return  # still there: htmx swaps keep the document
    try:
        page.add_script_tag(path=str(axe_source_path()))
    except Exception:  # noqa: BLE001 - a CSP-blocked tag: fall back below
        pass
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source_path().read_text(encoding="utf-8"))
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        raise RuntimeError("axe-core could not be injected into the page")


def run_axe(page, tags: tuple[str, ...] = TAGS) -> list[dict]:
    """The violations axe finds on the page now (the whole document), as plain dicts."""
    _inject(page)
    return page.evaluate(_RUN, list(tags))


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact') or 'no impact'}): {v['help']}  <{v.get('helpUrl', '')}>")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
    return "\n".join(lines)


def assert_no_violations(page, state: str, tags: tuple[str, ...] = TAGS) -> None:
    """Fails with every violation: rule id, impact, help, and the target selectors."""
    violations = run_axe(page, tags)
    if violations:
        raise AssertionError(
            f"axe found {len(violations)} violation(s) on {state!r} ({page.url}):\n"
            + format_violations(violations))
