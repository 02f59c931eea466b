/* Forms that survive poor signal (grid workers in basements, residents on 3G).
 *
 * A <form data-offline> gets a random idempotency key. On submit, photos in
 * <input type=file data-shrink> are shrunk in the browser (longest side 1600 px, JPEG), then the
 * form is POSTed with fetch. If the network fails, the whole submission (fields and photos) is
 * kept in IndexedDB and sent again, with the same key, as soon as the browser is back online or
 * the page is opened again. The server accepts each key once (portal/idempotency.py), so a
 * retry never makes a second case.
 */
(function () {
  "use strict";
  var DB = "linli-offline", STORE = "outbox", MAX_SIDE = 1600;
  var t = window.LINLI_I18N || {};
  function msg(key, fallback) { return t[key] || fallback; }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var a = new Uint8Array(16); (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var store = db.transaction(STORE, mode).objectStore(STORE);
        var req = fn(store);
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function status(form, text, kind) {
    var box = form.querySelector("[data-offline-status]");
    if (!box) {
      box = document.createElement("p"); box.setAttribute("data-offline-status", "");
      box.setAttribute("role", "status"); form.appendChild(box);
    }
    box.className = kind || ""; box.textContent = text;
  }

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      if (scale === 1 && file.size < 1500000) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale); canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
  }

  // A submission as plain data, so IndexedDB can keep it (File objects are structured-cloneable).
  function capture(form) {
    var entries = [], jobs = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof File) {
        if (!value.name && !value.size) return;
        var input = form.querySelector('input[type=file][name="' + name + '"]');
        var job = input && input.hasAttribute("data-shrink") ? shrink(value) : Promise.resolve(value);
        jobs.push(job.then(function (f) { entries.push([name, f]); }));
      } else {
        entries.push([name, value]);
      }
    });
    return Promise.all(jobs).then(function () {
      return { key: form.querySelector("input[name=idempotency_key]").value,
               url: form.action || location.href, entries: entries, saved: Date.now(),
               page: location.pathname };
    });
  }
  function send(item) {
    var body = new FormData();
    item.entries.forEach(function (e) { body.append(e[0], e[1]); });
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": cookie("csrftoken"), "Idempotency-Key": item.key, "X-Requested-With": "fetch" }
    });
  }
  function show(response) {
    if (response.redirected) { location.href = response.url; return; }
    return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
  }

  function drain() {
    if (!navigator.onLine) return Promise.resolve();
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.reduce(function (chain, item) {
        return chain.then(function () {
          return send(item).then(function (response) {
            if (response.status >= 500) return; // keep it; try again later
            return tx("readwrite", function (s) { return s.delete(item.key); }).then(function () {
              var form = document.querySelector("form[data-offline]");
              if (form && item.page === location.pathname) return show(response);
              var note = document.querySelector("[data-offline-drained]");
              if (note) note.textContent = msg("sent", "Your saved submission has been sent.");
            });
          }).catch(function () { /* still offline: keep it */ });
        });
      }, Promise.resolve());
    }).catch(function () {});
  }

  function attach(form) {
    var key = form.querySelector("input[name=idempotency_key]");
    if (!key) {
      key = document.createElement("input"); key.type = "hidden"; key.name = "idempotency_key";
      form.appendChild(key);
    }
    if (!key.value) key.value = uuid();
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.indexedDB) return; // plain POST still works, just not offline
      event.preventDefault();
      var button = form.querySelector("[type=submit]"); if (button) button.disabled = true;
      status(form, msg("sending", "Sending…"));
      capture(form).then(function (item) {
        return send(item).then(show, function () {
          return tx("readwrite", function (s) { return s.put(item); }).then(function () {
            status(form, msg("queued", "No network. Your submission is saved on this phone and will be sent when the network comes back."), "warn");
            if (button) button.disabled = false;
          });
        });
      });
    });
  }

  document.querySelectorAll("form[data-offline]").forEach(attach);
  window.addEventListener("online", drain);
  drain();
  window.LinliOffline = { drain: drain, pending: function () { return tx("readonly", function (s) { return s.count(); }); } };
})();
