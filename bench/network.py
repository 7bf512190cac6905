"""What a child on a slow phone network waits for: the home page and the start of a report in
Debian's Chromium, throttled like DevTools' "Slow 3G" and "Slow 4G". Figures, not a test.

Starts the app as a real server (`app.py serve`, SQLite, a helpline profile whose chat never
closes), drives /usr/bin/chromium through Playwright, and for each preset prints one row per
(page, state):

  pages   home           GET /
          report intro   GET /report (the intro with its "Start my report" button)
          first step     the click on "Start my report" on that intro. With JavaScript (what a
                         child gets) htmx posts /report/start and swaps the first question
                         ("who") into the page: no page load, so the FCP column holds the time
                         from the click to the first frame after the question is in the page,
                         and DCL/load are "-". (Without JavaScript it would be POST -> 303 -> GET.)
  states  cold           a fresh browser context: empty HTTP cache, no service worker
          warm           a fresh context where the page was opened once without throttling, the
                         service worker (/sw.js) installed (navigator.serviceWorker.ready) and the
                         page reloaded once, so the worker controls it; then the page goes to
                         /healthz (inside the worker's scope) and, throttled again, is opened anew

  columns FCP ms         first-contentful-paint (performance "paint" entries), from navigation start
          DCL ms, load   DOMContentLoaded and load event start (the navigation timing entry)
          requests       requests the page made (Playwright's page "request" events: the service
                         worker's own fetches are not in it)
          net            of those, how many went over the network (answered neither by the
                         service worker nor by a cache: bytes received > 0)
          bytes          bytes received for them on the wire: CDP Network.loadingFinished
                         encodedDataLength (headers + body as sent, brotli), uploads not counted
          sw net, sw B   the service worker's own network fetches and their bytes, counted on a
                         CDP session of the worker: when cold, its install (the precache, up to
                         navigator.serviceWorker.ready); when warm, its network-first fetch of the
                         page itself (the page's "net" is then 0: the worker answered it).
                         HTTP-cache hits are not counted; nor is the script /sw.js itself,
                         fetched before the worker exists
          sw ready ms    cold only: navigation start -> navigator.serviceWorker.ready (from then
                         on the home and information pages also work offline)

Throttling is CDP Network.emulateNetworkConditions (offline false) on a CDP session of the page
and on one of its service worker (a worker is throttled separately, otherwise its fetches run at
full speed), plus Emulation.setCPUThrottlingRate 4 on the page, as in Lighthouse's mobile
profile. The emulated latency applies per request and does not model TCP slow start (see
/work/shared/TESTING.md, "Slow networks"), and the page and its worker each get the preset's
bandwidth. Each (preset, page, state) runs in its own browser context, so no cache or worker
leaks from one cold run into another. The first step is measured in the context of the report
intro row, after the intro (and, when cold, the worker's install) has finished.

At the end the byte table of every page (bench/pages.py) is printed too.

Run: .venv/bin/python bench/network.py [runs per row, default 1: with more, medians are printed]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.server import always_open_profile, running_app  # noqa: E402

# DevTools' presets (bytes per second, milliseconds).
PRESETS = {
    "Slow 3G": {"downloadThroughput": 50_000, "uploadThroughput": 50_000, "latency": 2_000},
    "Slow 4G": {"downloadThroughput": 180_000, "uploadThroughput": 84_375, "latency": 562.5},
}
NO_THROTTLING = {"downloadThroughput": -1, "uploadThroughput": -1, "latency": 0}
CPU_SLOWDOWN = 4
TIMEOUT_MS = 180_000        # a cold Slow 3G page takes several seconds; leave plenty of room
QUIET_MS = 1_000            # a measurement ends once the page has had no request open this long
BETWEEN = "/healthz"         # a plain-text page of the app: where a warm page waits, in scope
START_FORM = 'form[action="/report/start"]'
FIRST_QUESTION = '#step input[name="step"][value="who"]'
SETTLED = """() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')
  && document.readyState === 'complete'"""

# Set up before the click on "Start my report": resolves with the milliseconds from the click to
# the first frame after the first question is in the page.
WATCH_FIRST_STEP = """(selector) => {
  window.__firstStep = new Promise((resolve) => {
    let clicked = null;
    document.addEventListener("click", () => { clicked = performance.now(); }, {capture: true, once: true});
    const shown = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - clicked)));
    const observer = new MutationObserver(() => {
      if (document.querySelector(selector)) { observer.disconnect(); shown(); }
    });
    observer.observe(document.body, {childList: true, subtree: true});
  });
}"""

NAVIGATION_TIMES = """async () => {
  const fcp = () => performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint");
  const deadline = performance.now() + 30000;
  while (!fcp() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const nav = performance.getEntriesByType("navigation")[0];
  return {fcp: fcp() ? fcp().startTime : null, dcl: nav.domContentLoadedEventStart,
          load: nav.loadEventStart};
}"""


class Probe:
    """One page with a CDP session on it and on its service worker: throttling and counters."""

    def __init__(self, context, page):
        self.page = page
        self.cdp = context.new_cdp_session(page)
        self.conditions = dict(NO_THROTTLING)
        self.workers: set[str] = set()   # CDP session ids of attached service workers
        self.replies: set[tuple[str, int]] = set()
        self.next_id = 1000
        self.recording = False
        self.inflight = 0
        self.reset()
        page.on("request", self._request)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._done)
        self.cdp.on("Network.responseReceived", self._page_response)
        self.cdp.on("Network.loadingFinished", self._page_finished)
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.detachedFromTarget", lambda e: self.workers.discard(e["sessionId"]))
        self.cdp.on("Target.receivedMessageFromTarget", self._from_worker)
        self.cdp.send("Network.enable")
        # The page's service worker: attach before it runs (its install fetches start at once).
        # Browser-level auto-attach needs the flat protocol, which Playwright's CDPSession can't
        # address; page-level auto-attach covers the worker whose scope holds the page.
        self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True,
                                               "flatten": False})

    def reset(self) -> None:
        self.requests = 0
        self.net = 0
        self.bytes = 0
        self.sw_net = 0
        self.sw_bytes = 0
        self.from_worker: set[str] = set()    # CDP request ids of the page answered by the worker

    # --- the page ---------------------------------------------------------------------------

    def _request(self, request) -> None:
        self.inflight += 1
        if self.recording and request.service_worker is None:
            self.requests += 1

    def _done(self, _request) -> None:
        self.inflight = max(0, self.inflight - 1)

    def _page_response(self, event) -> None:
        if event["response"].get("fromServiceWorker"):  # its bytes are counted on the worker
            self.from_worker.add(event["requestId"])

    def _page_finished(self, event) -> None:
        # Cache hits (HTTP, memory) finish with 0 bytes received; anything else came over the wire.
        received = int(event["encodedDataLength"])
        if self.recording and received > 0 and event["requestId"] not in self.from_worker:
            self.net += 1
            self.bytes += received

    # --- its service worker ------------------------------------------------------------------

    def _send_to(self, session: str, method: str, params: dict | None = None) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": session,
                                                     "message": json.dumps(message)})
        return self.next_id

    def _attached(self, event) -> None:
        session, kind = event["sessionId"], event["targetInfo"]["type"]
        if kind == "service_worker":
            self.workers.add(session)
            self._send_to(session, "Network.enable")
            self._send_to(session, "Network.emulateNetworkConditions",
                          {"offline": False, **self.conditions})
        if event.get("waitingForDebugger"):
            self._send_to(session, "Runtime.runIfWaitingForDebugger")

    def _from_worker(self, event) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.replies.add((event["sessionId"], message["id"]))
            return
        if message.get("method") == "Network.loadingFinished" and self.recording:
            received = int(message["params"]["encodedDataLength"])
            if received > 0:  # not from the HTTP cache
                self.sw_net += 1
                self.sw_bytes += received

    # --- throttling ---------------------------------------------------------------------------

    def throttle(self, conditions: dict, cpu: float) -> None:
        """The same network conditions on the page and its worker(s), the CPU slowdown on the page."""
        self.conditions = dict(conditions)
        self.cdp.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
        waiting = {(s, self._send_to(s, "Network.emulateNetworkConditions",
                                     {"offline": False, **conditions})) for s in set(self.workers)}
        deadline = time.monotonic() + 10
        while waiting - self.replies and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        if waiting - self.replies:
            raise RuntimeError("the service worker did not take the network conditions")

    def wait_quiet(self) -> None:
        """Until no request of the page has been open for QUIET_MS (at most TIMEOUT_MS)."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            if self.inflight:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_MS / 1000:
                return
            self.page.wait_for_timeout(50)

    def counters(self) -> dict:
        return {"requests": self.requests, "net": self.net, "bytes": self.bytes,
                "sw_net": self.sw_net, "sw_bytes": self.sw_bytes}


def new_probe(browser, base_url: str) -> Probe:
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    return Probe(context, page)


def make_warm(probe: Probe, path: str) -> None:
    """Unthrottled: open the page, wait for the worker, reload once so that it controls the page."""
    probe.throttle(NO_THROTTLING, 1)
    probe.page.goto(path, wait_until="load")
    probe.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    probe.page.reload(wait_until="load")
    if not probe.page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        raise RuntimeError("the service worker does not control the page after a reload")
    # Leave the page for one inside the worker's scope, not about:blank: page-level auto-attach
    # detaches the worker from our CDP session when the page leaves its scope, and re-attaches it
    # only after the next navigation commits, i.e. after the worker's fetch of that page has run
    # unthrottled and uncounted.
    probe.page.goto(BETWEEN, wait_until="load")
    probe.wait_quiet()


def measure_navigation(probe: Probe, path: str, conditions: dict, cold: bool) -> dict:
    """Cold: from the new page's about:blank; warm: from BETWEEN (see make_warm)."""
    page = probe.page
    if cold and page.url != "about:blank":
        raise RuntimeError(f"a cold run must start on a new page, not {page.url}")
    probe.throttle(conditions, CPU_SLOWDOWN)
    probe.reset()
    probe.recording = True
    page.goto(path, wait_until="load")
    times = page.evaluate(NAVIGATION_TIMES)
    probe.wait_quiet()
    row = {**times, "sw_ready": None}
    if cold:  # the worker registered by this first visit: until it is ready (it keeps counting)
        row["sw_ready"] = page.evaluate("navigator.serviceWorker.ready.then(() => performance.now())")
        probe.wait_quiet()
    probe.recording = False
    return {**row, **probe.counters()}


def measure_first_step(probe: Probe) -> dict:
    """On the report intro (already throttled): the click on "Start my report" -> question "who"."""
    page = probe.page
    page.wait_for_function(SETTLED)
    page.evaluate(WATCH_FIRST_STEP, FIRST_QUESTION)
    probe.reset()
    probe.recording = True
    page.locator(f"{START_FORM} button").first.click()
    shown = page.evaluate("window.__firstStep")
    page.wait_for_function(SETTLED)
    probe.wait_quiet()
    probe.recording = False
    if "/report" not in page.url or not page.locator(FIRST_QUESTION).count():
        raise RuntimeError(f"the first question did not appear (at {page.url})")
    return {"fcp": shown, "dcl": None, "load": None, "sw_ready": None, **probe.counters()}


def run_once(browser, base_url: str, conditions: dict, page_path: str, cold: bool) -> list[dict]:
    probe = new_probe(browser, base_url)
    try:
        if not cold:
            make_warm(probe, page_path)
        rows = [measure_navigation(probe, page_path, conditions, cold)]
        if page_path == "/report":
            rows.append(measure_first_step(probe))
        return rows
    finally:
        probe.page.context.close()


def median_row(rows: list[dict]) -> dict:
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows if r[key] is not None]
        out[key] = statistics.median(values) if values else None
    return out


COLUMNS = (("FCP ms", "fcp"), ("DCL ms", "dcl"), ("load ms", "load"), ("requests", "requests"),
           ("net", "net"), ("bytes", "bytes"), ("sw net", "sw_net"), ("sw B", "sw_bytes"),
           ("sw ready ms", "sw_ready"))


def cell(value) -> str:
    return "-" if value is None else f"{value:.0f}"


def print_header() -> None:
    print(f"{'preset':8} {'page':13} {'state':5} " + " ".join(f"{title:>{max(len(title), 7)}}"
                                                            for title, _ in COLUMNS), flush=True)


def print_row(preset: str, name: str, state: str, row: dict | None, error: str = "") -> None:
    line = f"{preset:8} {name:13} {state:5} "
    if row is None:
        print(line + f"failed: {error}", flush=True)
        return
    print(line + " ".join(f"{cell(row[key]):>{max(len(title), 7)}}" for title, key in COLUMNS),
          flush=True)


def print_byte_table(folder: Path) -> None:
    """bench/pages.py in a subprocess (it sets its own environment at import), its temp files in
    ours. Only its table is shown (its "[sq]"/"[en]" lines), not the migration and request logs."""
    print("Byte table of every page (bench/pages.py: bodies as sent, without headers):", flush=True)
    env = {**os.environ, "TMPDIR": str(folder)}
    for name in ("RAPORTO_DATA", "RAPORTO_PROFILE", "DATABASE_URL"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "pages.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    if result.returncode:
        print(result.stdout + result.stderr[-5000:], flush=True)
        print(f"bench/pages.py exited with {result.returncode}", flush=True)
        return
    table = [line for line in result.stdout.splitlines() if line.startswith("[") or not line.strip()]
    print("\n".join(table).strip("\n"))
    sys.stdout.flush()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    started = time.monotonic()
    if not CHROMIUM.exists():
        sys.exit(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    folder = Path(tempfile.mkdtemp(prefix="raporto-bench-network-"))
    server = None
    try:
        with running_app(RAPORTO_PROFILE=always_open_profile(folder),
                         RAPORTO_SECRET="bench") as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            version = browser.version
            print(f"network bench: {CHROMIUM} {version} (headless, Playwright), one app server "
                  f"process (SQLite) on 127.0.0.1, default language")
            print(f"CPU throttling: ON, x{CPU_SLOWDOWN} (Emulation.setCPUThrottlingRate, as "
                  f"Lighthouse's mobile profile), during every throttled measurement")
            for preset, conditions in PRESETS.items():
                print(f"{preset}: download {conditions['downloadThroughput']:,} B/s, upload "
                      f"{conditions['uploadThroughput']:,} B/s, latency {conditions['latency']:,} ms "
                      "per request (CDP Network.emulateNetworkConditions on page and worker)")
            print(f"{runs} run(s) per row" + (", medians" if runs > 1 else "")
                  + "; 'first step': FCP column = click on 'Start my report' -> first question "
                    "on screen (htmx swap, no page load)\n", flush=True)
            print("columns: see the docstring of bench/network.py; 'net'/'bytes' = what the page "
                  "received over the wire, 'sw net'/'sw B' = the service worker's own fetches\n")
            print_header()
            for preset, conditions in PRESETS.items():
                for page_path, names in (("/", ("home",)), ("/report", ("report intro", "first step"))):
                    for state in ("cold", "warm"):
                        results: list[list[dict]] = []
                        error = ""
                        for _ in range(runs):
                            try:
                                results.append(run_once(browser, server.url, conditions,
                                                        page_path, state == "cold"))
                            except (PlaywrightError, RuntimeError) as exc:
                                error = str(exc).splitlines()[0][:120]
                        for index, name in enumerate(names):
                            rows = [r[index] for r in results if len(r) > index]
                            print_row(preset, name, state, median_row(rows) if rows else None, error)
                print(flush=True)
            browser.close()
        print_byte_table(folder)
    finally:
        if server is not None:
            shutil.rmtree(server.data, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\nnetwork bench took {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
