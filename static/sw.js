/* The service worker (served as /sw.js by geoapp/web/offline.py, which writes the cache's
 * version in): the collector's page works with no signal.
 *
 *  - the map page, the village's layers (GeoJSON), the counts and the houses the
 *    collector opened, the offline basemap's tiles shown: from the network when it
 *    answers, kept in the cache for later;
 *    from the cache when there is no network;
 *  - the app's own files (/static/, /vendor/): from the cache, fetched once;
 *  - everything else (logins, submissions, exports): the network only. Submissions made
 *    offline wait in the page's queue (static/js/offline.js), never here.
 * The page sends the list of what it loaded ("cache" message) so that the first visit
 * already fills the cache. A new version deletes the older caches. */
"use strict";

var CACHE = "geoapp-__CACHE_VERSION__";
var PREFIX = "geoapp-";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (keys) {
        return Promise.all(
          keys
            .filter(function (k) {
              return k.indexOf(PREFIX) === 0 && k !== CACHE;
            })
            .map(function (k) {
              return caches.delete(k);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function sameOrigin(url) {
  return url.origin === self.location.origin;
}

function isAsset(url) {
  return /^\/(static|vendor)\//.test(url.pathname);
}

function isData(url) {
  return (
    /^\/api\/(villages|streets|buildings|units|blocks)\.geojson$/.test(url.pathname) ||
    /^\/api\/buildings\/\d+$/.test(url.pathname) ||
    url.pathname === "/api/progress" ||
    url.pathname === "/api/returned"
  );
}

function isTile(url) {
  return /^\/tiles\/base\/\d+\/\d+\/\d+$/.test(url.pathname); // the offline basemap: tiles seen are kept
}

function isPage(request, url) {
  return request.mode === "navigate" && url.pathname === "/"; // the map only: no lists of people
}

/* The ETag of each answer kept, by URL: an answer whose tag equals the kept copy's (a layer
 * unchanged since the last visit) is passed on untouched. Copying a body to keep it is what
 * makes an answer through this worker slow (the town's houses: about 150 ms more), and
 * asking the cache first would queue the answer behind the cache's other work. Filled as
 * copies are kept and, when the worker wakes, from the copies already kept. Copies deleted
 * by the page (logging out) are kept again by the page's "cache" message, which checks the
 * cache itself. */
var keptTags = new Map();

function remember(cache, request) {
  return cache.match(request, { ignoreVary: true }).then(function (kept) {
    var tag = kept && kept.headers.get("ETag");
    if (tag) keptTags.set(request.url, tag);
  });
}

caches
  .open(CACHE)
  .then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(
        requests
          .filter(function (r) {
            return /\.geojson$/.test(new URL(r.url).pathname);
          })
          .map(function (r) {
            return remember(cache, r);
          })
      );
    });
  })
  .catch(function () {});

function keep(request, response) {
  if (!(response && response.ok && response.type === "basic" && !response.redirected)) return response;
  var tag = response.headers.get("ETag");
  if (tag && keptTags.get(request.url) === tag) return response;
  var copy = response.clone();
  caches
    .open(CACHE)
    .then(function (cache) {
      return cache.put(request, copy);
    })
    .then(function () {
      if (tag) keptTags.set(request.url, tag);
    })
    .catch(function () {}); // full storage: served all the same
  return response;
}

function fromCache(request, ignoreSearch) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (hit) {
      if (hit || !ignoreSearch) return hit;
      return cache.match(request, { ignoreSearch: true, ignoreVary: true }); // a layer asked by another view
    });
  });
}

function networkFirst(request, ignoreSearch) {
  return fetch(request)
    .then(function (response) {
      return keep(request, response);
    })
    .catch(function (err) {
      return fromCache(request, ignoreSearch).then(function (hit) {
        if (hit) return hit;
        throw err;
      });
    });
}

function cacheFirst(request) {
  return fromCache(request, false).then(function (hit) {
    return (
      hit ||
      fetch(request).then(function (response) {
        return keep(request, response);
      })
    );
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!sameOrigin(url)) return;
  if (isAsset(url)) {
    event.respondWith(cacheFirst(request));
  } else if (isData(url) || isTile(url)) {
    event.respondWith(networkFirst(request, /\.geojson$/.test(url.pathname)));
  } else if (isPage(request, url)) {
    event.respondWith(networkFirst(request, true)); // "/?lang=…" offline: the kept map page
  }
});

/* The page lists what it loaded before this worker controlled it: keep those too. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) return;
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(
        data.urls.map(function (href) {
          var url = new URL(href, self.location.origin);
          if (!sameOrigin(url) || !(isAsset(url) || isData(url) || isTile(url) || url.pathname === "/")) return null;
          return cache.match(url.href).then(function (hit) {
            if (hit) return null;
            return fetch(url.href, { credentials: "same-origin" })
              .then(function (response) {
                if (!response.ok || response.redirected) return null;
                var tag = response.headers.get("ETag");
                return cache.put(url.href, response).then(function () {
                  if (tag) keptTags.set(url.href, tag);
                });
              })
              .catch(function () {
                return null;
              });
          });
        })
      ).then(function () {
        if (event.source) event.source.postMessage({ type: "cached", count: data.urls.length });
      });
    })
  );
});
