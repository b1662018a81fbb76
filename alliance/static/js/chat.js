// Live chat over the conversation socket, with the plain form (htmx) as the fallback when
// the socket is down. Each message carries an id made here, so a resend after a dropped
// connection is stored once; unacknowledged messages are resent on reconnect, and a
// reconnect asks the server for everything after the last message seen.
(() => {
  "use strict";
  // Interface text comes from Django's JavaScript catalogue (/i18n/js/, loaded first); English
  // when it is missing.
  const gettext = window.gettext || ((text) => text);
  const outbox = new Map(); // client id -> body, until acknowledged
  let socket = null;
  let retry = 0;
  let typingSentAt = 0;
  let typingTimer = null;
  // Messages sent over the abuse limit are stored but held, not pushed: the page hears only
  // their numbers and collects them in one catch-up a little later (heldFrom: the lowest
  // number not yet collected, which the catch-up starts below).
  const HELD_COLLECT_MS = 20000;
  let heldFrom = null;
  let heldTimer = null;

  const root = () => document.getElementById("conversation");
  const log = () => document.getElementById("chat-log");
  const me = () => Number(root()?.dataset.me);

  function newId() {
    if (window.crypto?.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    return Array.from(window.crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function lastSeq() {
    let max = Number(root()?.dataset.lastSeq || 0);
    for (const li of log()?.querySelectorAll("[data-seq]") || []) max = Math.max(max, Number(li.dataset.seq));
    return max;
  }

  function status(text) {
    const el = document.getElementById("chat-status");
    if (el) el.textContent = text;
  }

  // The page's language and the reader's zone (data-time-zone), not the browser's: "Dec 7,
  // 3:00 PM" in English, "7 dic, 15:00" in Spanish, as the server writes them.
  let clock = null;
  function timeText(iso) {
    if (!clock) {
      const lang = document.documentElement.lang || undefined;
      const options = { day: "numeric", month: "short", hour: "numeric", minute: "2-digit" };
      try {
        clock = new Intl.DateTimeFormat(lang, { ...options, timeZone: root()?.dataset.timeZone || undefined });
      } catch (e) {
        clock = new Intl.DateTimeFormat(lang, options); // a zone this browser does not know
      }
    }
    // Newer browsers put a narrow no-break space before "PM"; the server writes a plain one.
    return clock.format(new Date(iso)).replace(/\u202f/g, " ");
  }

  function bubble(m, mine) {
    const li = document.createElement("li");
    li.className = "chat-msg " + (mine ? "mine" : "theirs");
    li.dataset.id = m.id;
    if (m.seq) li.dataset.seq = m.seq;
    const body = document.createElement("p");
    body.className = "chat-body";
    body.textContent = m.body;
    const meta = document.createElement("p");
    meta.className = "chat-meta muted";
    const time = document.createElement("time");
    if (m.created_at) {
      time.dateTime = m.created_at;
      time.textContent = timeText(m.created_at);
    } else {
      time.textContent = gettext("sending…");
    }
    meta.appendChild(time);
    li.append(body, meta);
    if (m.held) heldBubble(li);
    return li;
  }

  function show(m) {
    const list = log();
    if (!list) return;
    if (m.seq && list.querySelector(`[data-seq="${m.seq}"]`)) return;
    const pending = list.querySelector(`[data-id="${CSS.escape(m.id)}"]`);
    if (pending) {
      confirm(pending, m);
      return;
    }
    list.querySelector(".chat-empty")?.remove();
    list.appendChild(bubble(m, m.sender === me()));
    list.lastElementChild.scrollIntoView({ block: "nearest" });
  }

  function confirm(li, m) {
    li.dataset.seq = m.seq;
    li.classList.remove("pending", "failed");
    const time = li.querySelector("time");
    if (time && m.created_at) {
      time.dateTime = m.created_at;
      time.textContent = timeText(m.created_at);
    }
  }

  function markSeen(seq) {
    for (const li of log()?.querySelectorAll(".chat-msg.mine[data-seq]") || []) {
      if (Number(li.dataset.seq) <= seq && !li.querySelector(".seen")) {
        const seen = document.createElement("span");
        seen.className = "seen";
        seen.textContent = " · " + gettext("Seen");
        li.querySelector(".chat-meta")?.appendChild(seen);
      }
    }
  }

  function sendRead() {
    if (document.visibilityState !== "visible") return;
    const theirs = log()?.querySelectorAll(".chat-msg.theirs[data-seq]");
    if (!theirs || !theirs.length) return;
    send({ type: "read", seq: Number(theirs[theirs.length - 1].dataset.seq) });
  }

  function catchUp() {
    const after = heldFrom === null ? lastSeq() : Math.min(lastSeq(), heldFrom - 1);
    heldFrom = null;
    clearTimeout(heldTimer);
    heldTimer = null;
    send({ type: "sync", after });
  }

  function heldBubble(li) {
    if (li.querySelector(".held")) return;
    const note = document.createElement("span");
    note.className = "held";
    note.textContent = " · " + gettext("Held: sent quickly, delivered within a minute");
    li.querySelector(".chat-meta")?.appendChild(note);
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "ready":
        retry = 0;
        status(gettext("Connected: messages arrive as they are sent."));
        catchUp();
        for (const [id, body] of outbox) send({ type: "message", id, body });
        break;
      case "history":
        frame.messages.forEach(show);
        // The next batch follows this one's last message (a live message shown meanwhile
        // may have a higher number than messages still to come).
        if (frame.more) send({ type: "sync", after: frame.messages[frame.messages.length - 1].seq });
        for (const [user, seq] of Object.entries(frame.read || {})) if (Number(user) !== me()) markSeen(seq);
        sendRead();
        break;
      case "ack": {
        outbox.delete(frame.id);
        const li = log()?.querySelector(`[data-id="${CSS.escape(frame.id)}"]`);
        if (li) confirm(li, frame);
        if (li && frame.held) heldBubble(li);
        if (frame.held) status(gettext("You are sending messages quickly: they are kept and delivered together, within a minute."));
        break;
      }
      case "held":
        heldFrom = heldFrom === null ? frame.seq : Math.min(heldFrom, frame.seq);
        if (heldTimer === null) heldTimer = setTimeout(catchUp, HELD_COLLECT_MS);
        break;
      case "message":
        show(frame);
        if (frame.sender !== me()) {
          document.getElementById("typing")?.setAttribute("hidden", "");
          sendRead();
        }
        break;
      case "typing": {
        const el = document.getElementById("typing");
        if (!el) break;
        el.removeAttribute("hidden");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => el.setAttribute("hidden", ""), 4000);
        break;
      }
      case "read":
        if (frame.user !== me()) markSeen(frame.seq);
        break;
      case "crisis": {
        // Server-rendered panel (escaped by the template): resources for the client's location.
        const slot = document.getElementById("crisis-slot");
        if (slot) {
          slot.innerHTML = frame.html;
          slot.scrollIntoView({ block: "nearest" });
        }
        break;
      }
      case "error":
        status(frame.message);
        if (frame.ref && outbox.has(frame.ref)) {
          outbox.delete(frame.ref); // refused: resending would be refused again
          log()?.querySelector(`[data-id="${CSS.escape(frame.ref)}"]`)?.classList.add("failed");
        }
        break;
    }
  }

  function connect() {
    const el = root();
    if (!el || !el.dataset.wsPath) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${proto}//${location.host}${el.dataset.wsPath}`);
    window.allianceChat = { get socket() { return socket; }, outbox };
    socket.addEventListener("message", (event) => {
      try {
        onFrame(JSON.parse(event.data));
      } catch (err) {
        console.error(err);
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4404) {
        status(gettext("This conversation cannot be opened."));
        return;
      }
      status(gettext("Offline: your messages are sent by the form until the live connection is back."));
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    });
  }

  // Capture phase: runs before htmx's own submit handler, which posts the form when the
  // socket is down.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || form.id !== "chat-form") return;
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      const field = form.querySelector("textarea[name=body]");
      const body = field.value.trim();
      if (!body) return; // let the form show its "required" message
      event.preventDefault();
      event.stopPropagation();
      const id = newId();
      outbox.set(id, body);
      const li = bubble({ id, body }, true);
      li.classList.add("pending");
      log()?.querySelector(".chat-empty")?.remove();
      log()?.appendChild(li);
      send({ type: "message", id, body });
      field.value = "";
      field.focus();
    },
    true,
  );

  document.addEventListener("input", (event) => {
    if (event.target?.name !== "body" || !event.target.closest("#chat-form")) return;
    const now = Date.now();
    if (now - typingSentAt > 3000) {
      typingSentAt = now;
      send({ type: "typing" });
    }
  });

  // A safety net for live delivery: catch up now and then, and when the page is shown again
  // (anything already shown is skipped by its sequence number).
  setInterval(catchUp, 60000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") catchUp();
    sendRead();
  });
  document.addEventListener("DOMContentLoaded", () => {
    // The conversation opens at its newest message, as chat applications do.
    const list = log();
    if (list) list.scrollTop = list.scrollHeight;
    connect();
  });
})();
