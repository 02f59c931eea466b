/* Forms that survive poor signal (grid workers in basements, residents on 3G), and say what
 * happened after every submission.
 *
 * A <form data-offline> gets a random idempotency key. On submit, photos in
 * <input type=file data-shrink> are shrunk in the browser (longest side 1600 px, JPEG), the whole
 * submission (fields and photos) is put in the phone's outbox (IndexedDB) and POSTed with fetch.
 * The server answers a fetch with JSON ({ok, location, messages}: portal/idempotency.py), so:
 *   - sent while the user waits: the outbox entry is dropped and the page the server named is
 *     opened, where the server shows the confirmation (case number, when to expect a call…);
 *   - no network: the entry stays, the outbox list at the top of every page shows it as
 *     "待发送", and it is sent, with the same key, when the network is back (the `online` event,
 *     opening any page, every minute while something waits); the list then shows it as sent,
 *     with the confirmation the server gave and a link to the result;
 *   - refused (a form error): the form comes back with the errors (or, from the outbox, the list
 *     says why and links to the form).
 * The server accepts each key once, so a retry, a double tap or two tabs draining at once never
 * saves anything twice; a replay says so. Entries carry the user they were made by and are only
 * sent in that user's session. The script also registers the service worker (static/portal/
 * sw.js, served at /sw.js), asks it to keep the pages linked with data-warm for offline use,
 * and empties its page cache when the user changes (log out, log in as someone else).
 */
(function () {
  "use strict";
  var DB = "linli-offline", OUTBOX = "outbox", DONE = "done", MAX_SIDE = 1600;
  var SEND_TIMEOUT = 30000, KEEP_DONE = 3 * 86400000, RETRY_EVERY = 60000;
  var cfgNode = document.getElementById("linli-offline");
  var cfg = cfgNode ? JSON.parse(cfgNode.textContent) : {};
  var t = cfg.i18n || {};
  function msg(key, fallback) { return t[key] || fallback; }
  var me = String(cfg.user || "");

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the outbox (IndexedDB) ------------------------------------------------------------------
  var dbPromise = null;
  function openDb() {
    if (!window.indexedDB) return Promise.reject(new Error("no indexedDB"));
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 2);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "key" });
        if (!db.objectStoreNames.contains(DONE)) db.createObjectStore(DONE, { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { dbPromise = null; reject(req.error); };
    });
    return dbPromise;
  }
  function tx(store, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var req = fn(db.transaction(store, mode).objectStore(store));
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function all(store) { return tx(store, "readonly", function (s) { return s.getAll(); }); }
  function put(store, item) { return tx(store, "readwrite", function (s) { return s.put(item); }); }
  function del(store, key) { return tx(store, "readwrite", function (s) { return s.delete(key); }); }
  function mine(item) { return item.user === "" || item.user === me; }

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
  function clock(ms) {
    var d = new Date(ms);
    return (d.getMonth() + 1) + "-" + d.getDate() + " " + ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
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
  // The CSRF field is left out: the token is read from the cookie when the entry is sent, so an
  // entry made on a page kept offline is not refused for an old token.
  function capture(form) {
    var entries = [], jobs = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
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
               page: location.pathname, user: me, state: "waiting",
               label: form.getAttribute("data-offline-label") || document.title };
    });
  }

  // One POST of an entry. Resolves to {kind, ...}: "sent" (the server's JSON), "refused" (a page
  // with form errors, or a 404), "login" (the session ended: keep it for after logging in) or
  // "retry" (no network, a timeout, a server error: keep it).
  function send(item, queued) {
    var body = new FormData();
    item.entries.forEach(function (e) { body.append(e[0], e[1]); });
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, SEND_TIMEOUT) : null;
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", signal: controller && controller.signal,
      headers: { "X-CSRFToken": cookie("csrftoken"), "Idempotency-Key": item.key,
                 "X-Requested-With": "fetch", "X-Linli-Queued": queued ? "1" : "0",
                 "Accept": "application/json, text/html" }
    }).then(function (response) {
      clearTimeout(timer);
      var type = response.headers.get("Content-Type") || "";
      if (response.status >= 500) return { kind: "retry" };
      if (response.ok && type.indexOf("application/json") === 0) {
        return response.json().then(function (data) { return { kind: "sent", data: data }; });
      }
      if (response.status === 403 || (response.redirected && /\/login\//.test(response.url))) {
        return { kind: "login", url: response.url };
      }
      return response.text().then(function (html) {
        return { kind: "refused", html: html, status: response.status, url: response.url };
      });
    }, function () { clearTimeout(timer); return { kind: "retry" }; });
  }

  // Why a submission was refused, read from the page the server answered with.
  function reasons(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var found = [];
    doc.querySelectorAll("main .error, main [role=alert], .messages .error").forEach(function (n) {
      var text = n.textContent.replace(/\s+/g, " ").trim();
      if (text && found.indexOf(text) < 0) found.push(text);
    });
    return found.length ? found : [msg("refused", "It was not accepted. Open the form and send it again.")];
  }

  // --- the outbox list at the top of the page --------------------------------------------------
  function panel() {
    var box = document.getElementById("outbox");
    if (box) return box;
    var main = document.getElementById("main");
    if (!main) return null;
    box = document.createElement("section");
    box.id = "outbox"; box.className = "outbox"; box.hidden = true;
    box.setAttribute("aria-labelledby", "outbox-title");
    box.innerHTML = '<h2 id="outbox-title"></h2><p role="status" data-outbox-summary></p><ul></ul>' +
      '<button type="button" data-outbox-clear hidden></button>';
    box.querySelector("h2").textContent = msg("outbox", "Sent from this phone");
    var clear = box.querySelector("[data-outbox-clear]");
    clear.textContent = msg("clear", "Clear the sent ones");
    clear.addEventListener("click", function () {
      all(DONE).then(function (rows) {
        return Promise.all(rows.filter(mine).map(function (r) { return del(DONE, r.key); }));
      }).then(render);
    });
    main.insertBefore(box, main.firstChild);
    return box;
  }
  function badge(text, kind) {
    var b = document.createElement("strong"); b.className = "badge " + kind; b.textContent = text; return b;
  }
  function link(href, text, button) {
    var a = document.createElement("a"); a.href = href; a.textContent = text;
    if (button) a.className = "button";
    return a;
  }
  function render() {
    return Promise.all([all(OUTBOX), all(DONE)]).then(function (res) {
      var waiting = res[0].filter(mine), done = res[1].filter(mine);
      var now = Date.now();
      done.filter(function (d) { return now - d.finished > KEEP_DONE; }).forEach(function (d) { del(DONE, d.key); });
      done = done.filter(function (d) { return now - d.finished <= KEEP_DONE; });
      var box = panel(); if (!box) return;
      var list = box.querySelector("ul"); list.innerHTML = "";
      waiting.sort(function (a, b) { return a.saved - b.saved; }).forEach(function (item) {
        var li = document.createElement("li"); li.setAttribute("data-outbox-key", item.key);
        li.setAttribute("data-outbox-state", item.state === "login" ? "login" : "waiting");
        li.appendChild(badge(msg("waiting", "Waiting to send"), "yellow"));
        li.appendChild(document.createTextNode(" " + item.label + " · " + msg("saved_at", "saved") + " " + clock(item.saved)));
        if (item.state === "login") {
          var p = document.createElement("p"); p.textContent = msg("login", "Log in again and it is sent then.");
          li.appendChild(p);
        }
        list.appendChild(li);
      });
      done.sort(function (a, b) { return b.finished - a.finished; }).forEach(function (d) {
        var li = document.createElement("li"); li.setAttribute("data-outbox-key", d.key);
        li.setAttribute("data-outbox-state", d.ok ? "sent" : "refused");
        li.appendChild(d.ok ? badge(msg("sent_badge", "Sent"), "ok") : badge(msg("refused_badge", "Refused by the server"), "red"));
        li.appendChild(document.createTextNode(" " + d.label + " · " + clock(d.finished)));
        (d.ok ? d.messages.map(function (m) { return m.text; }) : d.errors).forEach(function (text) {
          var p = document.createElement("p"); p.textContent = text; li.appendChild(p);
        });
        if (d.ok && d.location) li.appendChild(link(d.location, msg("open", "Open it"), true));
        if (!d.ok) li.appendChild(link(d.page, msg("again", "Open the form again"), true));
        list.appendChild(li);
        // The form it was kept from, if it is on this page, says so too.
        var form = document.querySelector('form[data-offline-queued="' + d.key + '"]');
        if (form) {
          status(form, (d.ok ? msg("sent_badge", "Sent") : msg("refused_badge", "Refused by the server")) + ": " +
            (d.ok ? d.messages.map(function (m) { return m.text; }) : d.errors).join(" "), d.ok ? "ok" : "warn");
        }
      });
      box.hidden = !(waiting.length || done.length);
      box.querySelector("[data-outbox-clear]").hidden = !done.length;
      var summary = box.querySelector("[data-outbox-summary]");
      var text = waiting.length ? msg("n_waiting", "%s waiting to send; sent when the network is back.").replace("%s", waiting.length) : "";
      if (summary.textContent !== text) summary.textContent = text;
    }).catch(function () {});
  }

  // --- sending what waits ----------------------------------------------------------------------
  var draining = null;
  function drainOnce() {
    if (!navigator.onLine) return Promise.resolve();
    return all(OUTBOX).then(function (items) {
      var now = Date.now();
      items = items.filter(function (item) {
        // One its own page is sending right now is left to that page.
        return mine(item) && !(item.state === "sending" && now - item.sending < SEND_TIMEOUT + 5000);
      }).sort(function (a, b) { return a.saved - b.saved; });
      return items.reduce(function (chain, item) {
        return chain.then(function (stop) {
          if (stop) return true;
          return send(item, true).then(function (result) {
            if (result.kind === "retry") return true; // the network is still down: try later
            if (result.kind === "login") {
              item.state = "login";
              return put(OUTBOX, item).then(function () { return false; });
            }
            var record = { key: item.key, label: item.label, page: item.page, user: item.user,
                           saved: item.saved, finished: Date.now(), ok: result.kind === "sent" };
            if (record.ok) {
              record.messages = result.data.messages || [];
              record.location = result.data.location || "";
            } else {
              record.errors = reasons(result.html);
            }
            return put(DONE, record).then(function () { return del(OUTBOX, item.key); })
              .then(function () { return false; });
          });
        });
      }, Promise.resolve(false));
    }).then(render, render);
  }
  // One drain at a time in this tab; across tabs and the service worker a Web Lock when there
  // is one (a twin send would be harmless anyway: the server accepts a key once).
  function drain() {
    if (draining) return draining;
    var run = navigator.locks ? function () {
      return navigator.locks.request("linli-outbox", drainOnce);
    } : drainOnce;
    draining = Promise.resolve().then(run).catch(function () {}).then(function () { draining = null; });
    return draining;
  }

  // --- forms -----------------------------------------------------------------------------------
  function newKey(form) {
    var key = form.querySelector("input[name=idempotency_key]");
    if (!key) {
      key = document.createElement("input"); key.type = "hidden"; key.name = "idempotency_key";
      form.appendChild(key);
    }
    key.value = uuid();
  }
  // After an entry is kept for later: a form for one step on a case is put away (it is done, as
  // far as this phone knows); a form that makes something new is emptied for the next one.
  function afterQueued(form, button, key) {
    form.setAttribute("data-offline-queued", key);
    if (form.getAttribute("data-offline") === "once") {
      form.querySelectorAll("input, select, textarea, button").forEach(function (el) { el.disabled = true; });
      form.classList.add("queued");
    } else {
      form.reset(); newKey(form);
      if (button) button.disabled = false;
    }
    form.removeAttribute("data-busy");
  }
  function showPage(html) {
    document.open(); document.write(html); document.close();
  }

  function attach(form) {
    // Always a fresh key: the page may be a copy kept offline, whose server-made key was used.
    newKey(form);
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.indexedDB) return; // a plain POST still works, just not offline
      event.preventDefault();
      if (form.hasAttribute("data-busy")) return; // a double tap: the first one is on its way
      form.setAttribute("data-busy", "");
      var button = form.querySelector("[type=submit]"); if (button) button.disabled = true;
      status(form, msg("sending", "Sending…"));
      capture(form).then(function (item) {
        item.state = "sending"; item.sending = Date.now();
        return put(OUTBOX, item).then(function () {
          return navigator.onLine ? send(item, false) : { kind: "retry" };
        }).then(function (result) {
          if (result.kind === "retry") {
            item.state = "waiting";
            return put(OUTBOX, item).then(function () {
              status(form, msg("queued", "No network. Your submission is saved on this phone and will be sent when the network comes back."), "warn");
              afterQueued(form, button, item.key);
              return render();
            });
          }
          if (result.kind === "login") {
            item.state = "login";
            return put(OUTBOX, item).then(function () { location.href = result.url; });
          }
          return del(OUTBOX, item.key).then(function () {
            if (result.kind === "sent") { location.href = result.data.location; return; }
            showPage(result.html);
          });
        });
      }).catch(function () {
        // IndexedDB refused (private mode, full disk): send it the ordinary way.
        form.removeAttribute("data-busy");
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  // --- the service worker and its page cache ---------------------------------------------------
  function worker(message) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage(message);
    }
  }
  function forgetPages() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return /^linli-(pages|media)/.test(n); })
        .map(function (n) { return caches.delete(n); }));
    });
  }
  function setUpWorker() {
    // Pages of one user are never shown offline to the next one on this phone.
    var last = null;
    try { last = localStorage.getItem("linli-user"); localStorage.setItem("linli-user", me); } catch (e) { /* private mode */ }
    var ready = last !== null && last !== me ? forgetPages() : Promise.resolve();
    document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.hasAttribute("data-forgotten")) return;
        event.preventDefault(); form.setAttribute("data-forgotten", "");
        forgetPages().then(function () { HTMLFormElement.prototype.submit.call(form); });
      });
    });
    if (!("serviceWorker" in navigator) || !cfg.sw) return;
    ready.then(function () {
      return navigator.serviceWorker.register(cfg.sw, { scope: "/" });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var urls = Array.prototype.map.call(document.querySelectorAll("a[data-warm]"), function (a) { return a.href; });
      urls.push(location.href.split("#")[0]);
      (reg.active || {}).postMessage && reg.active.postMessage({ type: "warm", urls: urls });
    }).catch(function () {});
  }

  // The list of pages this phone can open offline (on the offline page).
  function listSaved() {
    var box = document.querySelector("[data-saved-pages]");
    if (!box || !window.caches) return;
    caches.open("linli-pages").then(function (cache) { return cache.keys(); }).then(function (reqs) {
      var list = box.querySelector("ul"); list.innerHTML = "";
      reqs.forEach(function (req) {
        var url = new URL(req.url);
        if (url.pathname === location.pathname) return;
        var li = document.createElement("li"); li.appendChild(link(url.pathname + url.search, url.pathname)); list.appendChild(li);
      });
      box.hidden = !list.children.length;
    }).catch(function () {});
  }

  document.querySelectorAll("form[data-offline]").forEach(attach);
  render();
  listSaved();
  if (!window.LinliOffline) {
    // Once per window (a page written over with document.write keeps the window).
    window.addEventListener("online", drain);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) drain(); });
    setInterval(function () {
      all(OUTBOX).then(function (items) { if (items.filter(mine).length) drain(); }).catch(function () {});
    }, RETRY_EVERY);
    setUpWorker();
  }
  drain();
  window.LinliOffline = {
    drain: drain,
    pending: function () { return all(OUTBOX).then(function (items) { return items.filter(mine).length; }); },
    done: function () { return all(DONE).then(function (rows) { return rows.filter(mine); }); },
    forgetPages: forgetPages
  };
})();
