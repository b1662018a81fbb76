// Push on this device (alliance/templates/notify/settings.html): subscribes the service
// worker at /sw.js with the server's VAPID key and hands the subscription to the server.
// The words come from the page's data attributes, in the reader's language.
(function () {
  "use strict";
  function ready(run) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
    else run();
  }

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(padded);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
    return out;
  }

  ready(function () {
    const box = document.getElementById("push-device");
    if (!box) return;
    const status = document.getElementById("push-status");
    const on = document.getElementById("push-on");
    const off = document.getElementById("push-off");
    const token = box.querySelector("input[name=csrfmiddlewaretoken]").value;

    function show(subscribed, text) {
      status.textContent = text || (subscribed ? box.dataset.textOn : box.dataset.textOff);
      on.hidden = subscribed;
      off.hidden = !subscribed;
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(body),
      }).then(function (response) {
        if (!response.ok) throw new Error("refused: " + response.status);
        return response;
      });
    }

    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      status.textContent = box.dataset.textUnsupported;
      return;
    }
    navigator.serviceWorker.ready
      .then(function (registration) {
        return registration.pushManager.getSubscription().then(function (existing) {
          show(Boolean(existing));
          on.addEventListener("click", function () {
            on.disabled = true;
            Notification.requestPermission()
              .then(function (permission) {
                if (permission !== "granted") throw new Error("denied");
                return registration.pushManager.subscribe({
                  userVisibleOnly: true,
                  applicationServerKey: keyBytes(box.dataset.vapidKey),
                });
              })
              .then(function (subscription) {
                return post(box.dataset.subscribeUrl, subscription.toJSON());
              })
              .then(function () { show(true); })
              .catch(function (error) {
                show(false, error.message === "denied" ? box.dataset.textDenied : box.dataset.textFailed);
              })
              .finally(function () { on.disabled = false; });
          });
          off.addEventListener("click", function () {
            off.disabled = true;
            registration.pushManager
              .getSubscription()
              .then(function (subscription) {
                if (!subscription) return null;
                const endpoint = subscription.endpoint;
                return subscription.unsubscribe().then(function () {
                  return post(box.dataset.unsubscribeUrl, { endpoint: endpoint });
                });
              })
              .then(function () { show(false); })
              .catch(function () { show(false); })
              .finally(function () { off.disabled = false; });
          });
        });
      })
      .catch(function () { status.textContent = box.dataset.textUnsupported; });
  });
})();
