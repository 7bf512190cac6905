/* Raporto's service worker, version {{ version }}. Rendered by routes/pwa.py; served at /sw.js
   with Cache-Control: no-cache, so every change of a static file installs a new worker.
   - Precaches the shell (CSS, scripts, icons, the offline pages) and, unless Save-Data is on,
     the home and information pages.
   - Static files: cache first (their names change with their content).
   - Pages: network first. Only the home, information and offline pages are ever kept, so they
     stay readable offline; report, follow-up, chat and staff pages never enter a cache.
   - Background Sync "outbox": delivers reports kept on the phone (static/outbox.js). */
"use strict";
var VERSION = {{ version|tojson }};
var SHELL = {{ shell|tojson }};
var PAGES = {{ pages|tojson }};
var OFFLINE = {{ offline|tojson }};
var DEFAULT_LANGUAGE = {{ default_language|tojson }};
var SAVE_DATA = {{ save_data|tojson }};
var STATIC_CACHE = "static-" + VERSION, PAGE_CACHE = "pages", KEPT = /^\/(info(\/[a-z0-9-]+)?|help-services|accessibility|offline\/[a-z]+)?$/;
importScripts({{ outbox|tojson }});

function savingData() {
  return SAVE_DATA || Boolean(self.navigator.connection && self.navigator.connection.saveData);
}

self.addEventListener("install", function (event) {
  event.waitUntil(Promise.all([
    caches.open(STATIC_CACHE).then(function (cache) { return cache.addAll(SHELL); }),
    savingData() ? null : caches.open(PAGE_CACHE).then(function (cache) {
      return cache.addAll(PAGES).catch(function () { /* pages are a bonus, the shell is not */ });
    })
  ]).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* The language of the last page seen, for the offline page (cookies are HttpOnly). Kept in the
   pages cache too: the browser may stop and restart the worker at any time. */
var LANGUAGE_KEY = "/offline/language", known = null;
function remember(response) {
  var seen = response.headers.get("content-language");
  if (!seen || !OFFLINE[seen] || seen === known) return;  /* written once per change */
  known = seen;
  caches.open(PAGE_CACHE).then(function (cache) { return cache.put(LANGUAGE_KEY, new Response(seen)); });
}

function offlinePage() {
  return caches.match(LANGUAGE_KEY).then(function (hit) { return hit ? hit.text() : DEFAULT_LANGUAGE; })
    .then(function (language) { return caches.match(OFFLINE[language] || OFFLINE[DEFAULT_LANGUAGE]); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  if (request.mode !== "navigate") return;  /* htmx swaps and chat polls: the network only */
  var keep = KEPT.test(url.pathname) && !url.search;
  event.respondWith(fetch(request).then(function (response) {
    remember(response);
    if (keep && response.ok) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return (keep ? caches.match(request) : Promise.resolve(null)).then(function (hit) {
      return hit || offlinePage();
    });
  }));
});

self.addEventListener("sync", function (event) {
  if (event.tag === "outbox") event.waitUntil(self.RaportoOutbox.flush());
});
