// Registers the service worker. It is served from the site root (alliance/home/pwa.py), so
// its scope is the whole site; its address comes from the script tag in includes/pwa_head.html.
(function () {
  const script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  const url = script.dataset.serviceWorker;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function (error) {
      // Not installable then, but every page still works online.
      console.warn("Alliance: the offline page is not available:", error);
    });
  });
})();
