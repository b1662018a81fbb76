// The service worker: makes Alliance installable and shows a page of its own when offline.
//
// It keeps on the phone only what any visitor could download: the offline page (rendered
// as if nobody were logged in) and the static files that page links to. Pages, fragments,
// the JSON API, websockets and every non-GET request go to the network and are never put
// in a cache, so a shared or seized phone holds no message, check-in or note here.
// (docs/security.md, "What the installed app keeps on the phone".)

// Filled in by alliance/home/pwa.py when it serves this file: the cache's version (a digest
// of this file and of the list), the offline page, the static prefix, and what to precache
// (the hashed names in production), and the icon a push notification shows.
const CONFIG = { version: "dev", offline: "/offline/", static: "/static/", precache: [], icon: "" };
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

// Push (alliance/notify/push.py): the payload is the discreet wording the server chose —
// "Alliance" and "You have a new update." unless the person opted in to detail. Nothing is
// cached; a click opens the page it is about, and the action opens the settings page.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const title = data.title || "Alliance";
  const options = {
    body: data.body || "",
    icon: CONFIG.icon || undefined,
    data: { url: data.url || "/", settings: data.settings_url || "/" },
    actions: data.settings_label ? [{ action: "settings", title: data.settings_label }] : [],
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const target = new URL(event.action === "settings" ? data.settings : data.url, self.location.origin);
  if (target.origin !== self.location.origin) return; // only our own pages
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (client.url === target.href && "focus" in client) return client.focus();
      }
      return self.clients.openWindow(target.href);
    }),
  );
});
