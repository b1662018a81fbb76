// "Leave quickly" (includes/quick_exit.html): the button, or Escape pressed twice within a
// second, replaces this page with a neutral site at once. Why: docs/security.md.
//
// What it can and cannot hide: location.replace swaps this page's history entry for the
// neutral site, so Back does not return here. Alliance pages opened earlier in the same tab
// stay in its history, and the browser's history list itself is not cleared (no page can do
// that); a private window keeps nothing once closed, which the help page explains.
(() => {
  const control = document.getElementById("quick-exit");
  if (!control) return;
  const DOUBLE_PRESS_MS = 1000;
  let leaving = false;

  function leave() {
    if (leaving) return;
    leaving = true;
    const logoutUrl = control.dataset.logoutUrl;
    if (logoutUrl) {
      // Not awaited: keepalive lets the log-out finish after the page is gone, so leaving
      // never waits for the server. "manual" skips fetching the log-in page it redirects to.
      try {
        fetch(logoutUrl, {
          method: "POST",
          headers: { "X-CSRFToken": control.dataset.csrfToken || "" },
          credentials: "same-origin",
          keepalive: true,
          redirect: "manual",
        }).catch(() => {});
      } catch (error) {
        // Leaving matters more than the log-out; the idle time-out ends the session anyway.
      }
    }
    window.location.replace(control.dataset.url);
  }

  control.addEventListener("click", leave);

  // Two separate presses: a held key's repeats do not count.
  let lastEscape = -Infinity;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.repeat || event.isComposing) return;
    if (event.timeStamp - lastEscape <= DOUBLE_PRESS_MS) {
      leave();
    } else {
      lastEscape = event.timeStamp;
    }
  });
})();
