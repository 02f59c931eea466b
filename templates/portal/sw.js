/* The service worker (served at /sw.js by portal.pwa.service_worker, scope "/"): the portal's
 * phone pages open without a network.
 *
 *  - Pages (GET navigations under /, /cases/, /centres/, /volunteers/): network first; a good
 *    answer is kept in the "linli-pages" cache (its one-off confirmation messages cut out, so an
 *    old "sent" does not show again); with no network, or none within 8 s, the kept copy is
 *    shown, else the offline page. So the grid worker's pages, every case page already seen
 *    and every form open offline; forms then queue their submissions (static/portal/offline.js).
 *  - Pages a page names with data-warm (the grid worker's menu, the filing form) are fetched
 *    into the cache when asked ("warm"), at most once every ten minutes each.
 *  - Static files: cache first (precached at install; their names change with their content in
 *    production). Photos: cache first, at most 200 kept. The place picker's lists: network
 *    first with the cached copy offline.
 *  - Nothing else is touched: POSTs, the admin, the desk, the API and logins go to the network.
 * offline.js empties the page and photo caches when the user changes, so one person's pages
 * are never shown to the next person on a shared phone.
 */
"use strict";
var VERSION = "{{ version }}";
var STATIC = "linli-static-" + VERSION, PAGES = "linli-pages", MEDIA = "linli-media";
var PRECACHE = {{ precache|safe }};
var OFFLINE_URL = "{{ offline_url }}";
var STATIC_PREFIX = "{{ static_prefix }}", MEDIA_PREFIX = "{{ media_prefix }}";
var PAGE_PREFIXES = ["/cases/", "/centres/", "/volunteers/"];
var NEVER = /^\/(admin|desk|api|accounts|i18n|elder-mode|healthz|sw\.js)(\/|$)/;
var NETWORK_WAIT = 8000, WARM_EVERY = 600000, MAX_MEDIA = 200;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC).then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return keep(new Request(OFFLINE_URL, { credentials: "same-origin" })); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("linli-static-") === 0 && n !== STATIC; })
        .map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isPage(url) {
  if (NEVER.test(url.pathname)) return false;
  return url.pathname === "/" || url.pathname === OFFLINE_URL ||
    PAGE_PREFIXES.some(function (p) { return url.pathname.indexOf(p) === 0; });
}

// The page as kept: without the block of one-off messages base.html marks.
function cleaned(response) {
  return response.text().then(function (html) {
    html = html.replace(/<!--flash-->[\s\S]*?<!--\/flash-->/, "");
    var headers = new Headers(response.headers);
    headers.set("X-Linli-Kept", new Date().toISOString());
    return new Response(html, { status: 200, statusText: "OK", headers: headers });
  });
}
function keepable(response) {
  return response && response.status === 200 && response.type === "basic" && !response.redirected &&
    !/no-store/.test(response.headers.get("Cache-Control") || "") &&
    /text\/html/.test(response.headers.get("Content-Type") || "");
}
function keep(request) {
  return fetch(request).then(function (response) {
    if (!keepable(response)) return response;
    var copy = response.clone();
    return cleaned(copy).then(function (page) {
      return caches.open(PAGES).then(function (cache) { return cache.put(request.url.split("#")[0], page); });
    }).then(function () { return response; });
  });
}
function kept(request) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(request.url.split("#")[0]).then(function (hit) {
      return hit || cache.match(OFFLINE_URL);
    });
  });
}

function page(event) {
  var request = event.request;
  return new Promise(function (resolve) {
    var settled = false;
    function answer(response) { if (!settled && response) { settled = true; resolve(response); } }
    var timer = setTimeout(function () { kept(request).then(function (hit) { if (hit) answer(hit); }); }, NETWORK_WAIT);
    var network = fetch(request).then(function (response) {
      clearTimeout(timer);
      if (keepable(response)) {
        var copy = response.clone();
        event.waitUntil(cleaned(copy).then(function (p) {
          return caches.open(PAGES).then(function (cache) { return cache.put(request.url.split("#")[0], p); });
        }));
      }
      answer(response);
    }, function () {
      clearTimeout(timer);
      return kept(request).then(function (hit) {
        answer(hit || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } }));
      });
    });
    event.waitUntil(network);
  });
}

function cacheFirst(request, name, limit) {
  return caches.match(request).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(name).then(function (cache) {
          return cache.put(request, copy).then(function () {
            if (!limit) return;
            return cache.keys().then(function (keys) {
              return Promise.all(keys.slice(0, Math.max(0, keys.length - limit)).map(function (k) { return cache.delete(k); }));
            });
          });
        });
      }
      return response;
    });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(request); }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(cacheFirst(request, STATIC));
  } else if (url.pathname.indexOf(MEDIA_PREFIX) === 0) {
    event.respondWith(cacheFirst(request, MEDIA, MAX_MEDIA));
  } else if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(page(event));
  } else if (url.pathname === "/cases/places/") {
    event.respondWith(networkFirst(request));
  }
});

// "warm": keep these pages for offline use (the grid worker's menu, the filing form).
var warmed = {};
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "warm" || !Array.isArray(data.urls)) return;
  var now = Date.now();
  var jobs = data.urls.slice(0, 20).map(function (href) {
    var url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin || !isPage(url)) return null;
    var key = url.href.split("#")[0];
    if (warmed[key] && now - warmed[key] < WARM_EVERY) return null;
    warmed[key] = now;
    return caches.open(PAGES).then(function (cache) { return cache.match(key); }).then(function (hit) {
      // The page just shown is kept by the fetch handler; others are fetched when missing or old.
      var age = hit ? now - Date.parse(hit.headers.get("X-Linli-Kept") || 0) : Infinity;
      if (age < WARM_EVERY) return null;
      return keep(new Request(key, { credentials: "same-origin" })).catch(function () {});
    });
  });
  event.waitUntil(Promise.all(jobs));
});
