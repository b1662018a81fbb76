// Small progressive enhancements; every page works without JavaScript.

// Loaded without `defer`, so this runs before the first paint: the stylesheet collapses the
// phone menu only under `.js`, and a browser without scripts keeps the whole list open.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  document.body.addEventListener("htmx:configRequest", (event) => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) event.detail.headers["X-CSRFToken"] = token.value;
  });

  // The top bar's "Menu" button on narrow screens (alliance.css shows the list while
  // aria-expanded is "true"); Escape closes it and gives focus back to the button.
  const toggle = document.querySelector(".menu-toggle");
  if (!toggle) return;
  const setOpen = (open) => toggle.setAttribute("aria-expanded", String(open));
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
});
