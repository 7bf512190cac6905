/* Raporto's own script: progressive enhancement only; every page works without it. */
(function () {
  "use strict";
  var body = document.body;
  var statusRegion = document.getElementById("status");

  function announce(text) {
    if (!statusRegion) return;
    statusRegion.textContent = "";
    window.setTimeout(function () { statusRegion.textContent = text; }, 50);
  }

  /* Quick exit: hide everything at once, forget the draft, leave without a history entry. */
  function quickExit(event) {
    if (event) event.preventDefault();
    var overlay = document.createElement("div");
    overlay.className = "exit-overlay";
    body.appendChild(overlay);
    body.classList.add("exiting");
    document.title = "";
    try { if (window.speechSynthesis) window.speechSynthesis.cancel(); } catch (e) { /* leave anyway */ }
    try { if (navigator.sendBeacon) navigator.sendBeacon("/exit/forget"); } catch (e) { /* leave anyway */ }
    window.location.replace(body.getAttribute("data-exit-url"));
  }
  document.addEventListener("htmx:beforeRequest", function (event) { if (body.classList.contains("exiting")) event.preventDefault(); });  /* leaving: no poll may answer HX-Refresh and reload the page back */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-module=quick-exit]");
    if (link) quickExit(event);
  });
  var presses = 0, lastPress = 0, progress = document.getElementById("exit-progress");
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") { presses = 0; return; }
    if (event.repeat) return;
    var now = Date.now();
    presses = now - lastPress <= 5000 ? presses + 1 : 1;
    lastPress = now;
    if (presses >= 3) { quickExit(); return; }
    if (progress) progress.textContent = progress.getAttribute("data-i18n-progress").replace("%(n)s", presses);
  });

  /* In-page links (error summary, skip link) move focus without adding a history entry, and
     links between our own pages replace the entry: Back never walks into the site. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var href = link.getAttribute("href");
    if (href.charAt(0) === "#") {
      var target = document.getElementById(href.slice(1));
      if (!target) return;
      event.preventDefault();
      if (!/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName) && !target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
      target.scrollIntoView({block: "center"});
    } else if (href.charAt(0) === "/" && href.charAt(1) !== "/") {
      event.preventDefault();
      window.location.replace(link.href);
    }
  });

  /* Widgets keyed on data-module, set up on load and in every htmx swap. */
  var modules = {
    "char-count": function (area) {
      var counter = document.getElementById(area.id + "-count");
      var max = +area.getAttribute("data-maxlength"), timer;
      function left() { return max - area.value.length; }
      function render() { counter.textContent = counter.getAttribute("data-i18n-left").replace("%(n)s", left()); }
      area.addEventListener("input", function () {
        render();
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { announce(counter.textContent); }, 1500);
      });
      render();
    },
    "reveal": function (group) {
      var radios = group.querySelectorAll("input[type=radio]");
      function sync() {
        radios.forEach(function (radio) {
          var target = radio.getAttribute("data-reveal");
          if (target) document.getElementById(target).hidden = !radio.checked;
        });
      }
      radios.forEach(function (radio) { radio.addEventListener("change", sync); });
      sync();
    },
    "session-timeout": function (box) {
      var warnAfter = (+box.getAttribute("data-idle-seconds") - 300) * 1000, timer;
      function arm() {
        box.querySelector("[role=alert]").hidden = true;
        box.querySelector("form").hidden = true;
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          box.querySelector("[role=alert]").hidden = false;
          box.querySelector("form").hidden = false;
        }, warnAfter);
      }
      document.addEventListener("htmx:afterRequest", arm);
      arm();
    },
    "danger": function (group) {
      var card = document.getElementById(group.getAttribute("data-card"));
      group.addEventListener("change", function (event) {
        var show = event.target.value === "yes" || event.target.value === "not_sure";
        if (show && card.hidden) announce(card.getAttribute("data-i18n-shown"));
        card.hidden = !show;
      });
    }
  };
  /* Chat polling: a custom "poll" trigger fired by one timer per poller, backing off while
     quiet (2 s, then 5 s, then 10 s; 30 s in a background tab) and snapping back on activity.
     The server answers 204 while nothing is new and 286 when the chat has ended. */
  var QUIET_STEPS = [2000, 2000, 2000, 5000, 5000, 10000];
  function schedulePoll(poller, soon) {
    var state = poller.pollState;
    if (state.stopped) return;
    window.clearTimeout(state.timer);
    if (soon) state.quiet = 0;
    var delay = document.hidden ? 30000 : QUIET_STEPS[Math.min(state.quiet, QUIET_STEPS.length - 1)];
    state.timer = window.setTimeout(function () {
      if (!document.body.contains(poller)) return;
      htmx.trigger(poller, "poll");
      /* A poll dropped by hx-sync (a send was on its way) ends with no event: keep going. */
      state.timer = window.setTimeout(function () { schedulePoll(poller); }, 20000);
    }, delay);
  }
  function connection(poller, ok) {
    var notice = poller && document.getElementById(poller.getAttribute("data-offline"));
    if (!notice) return;
    var lost = notice.hasAttribute("data-lost");
    if (!ok && !lost) {
      notice.setAttribute("data-lost", "");
      notice.textContent = notice.getAttribute("data-i18n-lost");
    } else if (ok && lost) {
      notice.removeAttribute("data-lost");
      notice.textContent = "";
      announce(notice.getAttribute("data-i18n-back"));
    }
  }
  modules["chat-poll"] = function (poller) {
    poller.pollState = {quiet: 0, timer: 0, stopped: false};
    poller.addEventListener("htmx:afterRequest", function (event) {
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      var state = poller.pollState;
      connection(poller, status > 0 && status < 500);
      if (status === 286) { state.stopped = true; return; }
      state.quiet = status === 200 ? 0 : state.quiet + 1;
      schedulePoll(poller);
    });
    document.addEventListener("visibilitychange", function () { schedulePoll(poller, !document.hidden); });
    schedulePoll(poller);
  };
  function newClientId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  modules["chat-composer"] = function (form) {
    var box = form.querySelector("textarea"), state = form.querySelector("[id^=send-state]");
    var poller = document.getElementById(form.getAttribute("data-poll"));
    var retries = 0, retryTimer;
    function say(key) {
      var text = form.getAttribute("data-i18n-" + key);
      state.textContent = text;
      announce(text);
    }
    form.addEventListener("htmx:beforeRequest", function () {
      window.clearTimeout(retryTimer);
      box.readOnly = true;  /* the same words go with the same client id on a retry */
      say("sending");
    });
    form.addEventListener("htmx:afterRequest", function (event) {
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      if (status === 0 || status >= 500) {  /* never arrived, or the server failed: retry */
        connection(poller, false);
        say("retrying");
        retries += 1;
        retryTimer = window.setTimeout(function () { htmx.trigger(form, "submit"); },
                                       Math.min(2000 * retries, 15000));
        return;
      }
      connection(poller, true);
      retries = 0;
      if (poller && poller.pollState) schedulePoll(poller, status === 200);
      box.readOnly = false;
      if (status === 200 || status === 286) {
        box.value = "";
        box.dispatchEvent(new Event("input"));
        form.querySelector("[name=client_id]").value = newClientId();
        say("sent");
      } else {
        state.textContent = "";
      }
    });
  };

  function setUp(root) {
    var nodes = root.querySelectorAll ? root.querySelectorAll("[data-module]") : [];
    Array.prototype.forEach.call(nodes, function (node) {
      var name = node.getAttribute("data-module");
      if (modules[name] && !node.hasAttribute("data-ready")) {
        node.setAttribute("data-ready", "");
        modules[name](node);
      }
    });
  }
  /* The offline outbox (static/outbox.js): "Send" without a connection keeps the whole report
     on the phone with its idempotency key; it is delivered when the phone is online again (here
     on load, "online" and visibility, and by the service worker's Background Sync), exactly
     once, and its receipt is shown once, then removed from the phone. */
  var outbox = window.RaportoOutbox;
  function requestSync() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("outbox");
    }).catch(function () { /* the page's own retries still run */ });
  }
  modules.outbox = function (form) {
    if (!outbox) return;
    function keep(event) {
      if (event) event.preventDefault();
      var fields = new URLSearchParams(new FormData(form));
      fields.delete("_csrf_token");
      outbox.put({key: fields.get("idempotency_key"), url: form.getAttribute("data-deliver"),
                  body: fields.toString()}).then(function () {
        var notice = document.getElementById("outbox-notice");
        form.hidden = true;
        notice.hidden = false;
        notice.focus();
        requestSync();
      });
    }
    form.addEventListener("htmx:beforeRequest", function (event) { if (!navigator.onLine) keep(event); });
    form.addEventListener("htmx:sendError", function () { keep(); });
    form.addEventListener("htmx:timeout", function () { keep(); });
  };
  function showDelivered() {
    return outbox.all().then(function (items) {
      var done = items.filter(function (item) { return item.html; })[0];
      var main = document.getElementById("main");
      if (!done || !main || location.pathname.indexOf("/staff") === 0) return;
      main.innerHTML = done.html;
      var title = main.querySelector("title");
      if (title) { document.title = title.textContent; title.parentNode.removeChild(title); }
      var heading = main.querySelector("h1");
      if (heading) heading.focus();
      return outbox.remove(done.key);
    });
  }
  function flushOutbox() {
    if (outbox) outbox.flush().then(showDelivered).catch(function () { /* no IndexedDB here */ });
  }
  window.addEventListener("online", flushOutbox);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) flushOutbox(); });
  flushOutbox();
  if (navigator.serviceWorker) navigator.serviceWorker.register("/sw.js").catch(function () { /* fine online */ });

  /* "Add to home screen": shown only where the browser offers its install prompt; "No, thanks"
     posts to the server, which remembers it in a cookie (never asked again). */
  modules.install = function (box) {
    var installPrompt = null;
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();
      installPrompt = event;
      box.hidden = false;
    });
    box.querySelector("[data-install]").addEventListener("click", function () {
      box.hidden = true;
      if (installPrompt) installPrompt.prompt();
    });
  };

  /* Read aloud with the phone's own speech synthesis (no download, works offline), only in
     the page's language: with no voice for it, the button says so instead of reading wrongly. */
  modules["read-aloud"] = function (button) {
    var speech = window.speechSynthesis, lang = button.getAttribute("data-lang");
    if (!speech || !window.SpeechSynthesisUtterance) return;
    function voice() {
      return speech.getVoices().filter(function (v) { return v.lang.toLowerCase().indexOf(lang) === 0; })[0];
    }
    function sync() {
      var found = voice();
      button.hidden = false;
      button.disabled = !found;
      button.textContent = button.getAttribute(found ? (speech.speaking ? "data-i18n-stop" : "data-i18n-read") : "data-i18n-novoice");
    }
    button.addEventListener("click", function () {
      if (speech.speaking) { speech.cancel(); sync(); return; }
      var utterance = new SpeechSynthesisUtterance(document.getElementById(button.getAttribute("data-target")).innerText);
      utterance.lang = lang;
      utterance.voice = voice();
      utterance.onend = utterance.onerror = sync;
      speech.speak(utterance);
      sync();
    });
    if (speech.addEventListener) speech.addEventListener("voiceschanged", sync);
    sync();
  };

  document.addEventListener("htmx:load", function (event) { setUp(event.detail.elt); });
  setUp(document);

  /* A request that never reached the server: say so where the child is looking. */
  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt.closest("[data-module^=chat-], [data-module=outbox]")) return;  /* they say it their own way */
    var form = event.detail.elt.closest("form") || event.detail.elt;
    var notice = document.getElementById("connection-error");
    if (!notice) {
      notice = document.createElement("p");
      notice.id = "connection-error";
      notice.className = "error-summary";
      notice.setAttribute("role", "alert");
      form.parentNode.insertBefore(notice, form);
    }
    notice.textContent = body.getAttribute("data-i18n-offline");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var notice = document.getElementById("connection-error");
    if (notice) notice.parentNode.removeChild(notice);
  });
})();
