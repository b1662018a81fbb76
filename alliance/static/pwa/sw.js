// The service worker: makes Alliance installable and shows a page of its own when offline.
//
// It keeps on the phone only what any visitor could download: the offline page (rendered
// as if nobody were logged in) and the static files that page links to. Pages, fragments,
// the JSON API, websockets and every non-GET request go to the network and are never put
// in a cache, so a shared or seized phone holds no message, check-in or note here.
// (docs/security.md, "What the installed app keeps on the phone".)

// Filled in by alliance/home/pwa.py when it serves this file: the cache's version (a digest
// of this file and of the list), the offline page, the static prefix, and what to precache
// (the hashed names in production).
const CONFIG = { version: "dev", offline: "/offline/", static: "/static/", precache: [] };
const CACHE = "alliance-offline-" + CONFIG.version;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // "reload": straight from the server, not from the browser's HTTP cache.
      .then((cache) => cache.addAll(CONFIG.precache.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  // Nothing else on this origin may use the Cache API: every other cache is an older version.
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function offlinePage() {
  // ignoreVary: the page was stored under the language and cookies of the install.
  return caches
    .open(CACHE)
    .then((cache) => cache.match(CONFIG.offline, { ignoreVary: true }))
    .then((page) => page || Response.error());
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // POSTs and the rest: the network, untouched
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Always the network; the offline page only when the network cannot be reached.
    event.respondWith(fetch(request).catch(offlinePage));
    return;
  }
  if (url.pathname.startsWith(CONFIG.static)) {
    // Precached static files first; anything else is left to the HTTP cache (whitenoise
    // gives hashed files a long lifetime), so this cache never grows beyond the list.
    event.respondWith(
      caches
        .open(CACHE)
        .then((cache) => cache.match(request, { ignoreVary: true }))
        .then((hit) => hit || fetch(request)),
    );
  }
  // Every other request (htmx fragments, /api/, feeds) is not answered here: the browser
  // fetches it as if there were no service worker, and nothing is cached.
});
