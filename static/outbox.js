/* The offline outbox: reports waiting on this phone until they can be delivered. Used by the
   page (app.js) and by the service worker (importScripts). Each item: {key, url, body} while
   waiting; once delivered {key, html} (the receipt, shown once, then removed). The server's
   idempotency key makes every delivery of the same item the same single report. */
(function (root) {
  "use strict";
  var STORE = "outbox";
  function open() {
    return new Promise(function (resolve, reject) {
      var request = root.indexedDB.open("raporto", 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, {keyPath: "key"}); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  var outbox = {
    put: function (item) { return run("readwrite", function (store) { return store.put(item); }); },
    all: function () { return run("readonly", function (store) { return store.getAll(); }); },
    remove: function (key) { return run("readwrite", function (store) { return store.delete(key); }); },
    /* Send every waiting item; resolves when each has arrived or failed for now. */
    flush: function () {
      return outbox.all().then(function (items) {
        return Promise.all(items.filter(function (item) { return item.body; }).map(deliver));
      });
    }
  };
  var sending = {};
  function deliver(item) {
    if (sending[item.key]) return sending[item.key];
    sending[item.key] = root.fetch(item.url, {
      method: "POST", credentials: "same-origin", body: item.body,
      headers: {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
    }).then(function (response) {
      if (response.status >= 500) throw new Error("not now");
      return response.text().then(function (html) {
        /* The report itself leaves the phone. Only a still-waiting item takes its receipt: the
           page and the worker may both deliver it, and a receipt already shown and removed
           must not come back. */
        return run("readwrite", function (store) {
          var cursor = store.openCursor(item.key);
          cursor.onsuccess = function () {
            if (cursor.result && cursor.result.value.body) cursor.result.update({key: item.key, html: html});
          };
          return cursor;
        });
      });
    }).catch(function () { /* offline still: the next flush tries again */ }).then(function () {
      delete sending[item.key];
    });
    return sending[item.key];
  }
  root.RaportoOutbox = outbox;
})(self);
