/* Live notifications: bell badge, toasts, resume after reconnect, polling fallback.
 * Protocol: docs/notifications.md. No framework; loaded with `defer` on every page. */
(function () {
  "use strict";

  var bell = document.getElementById("notif-bell");
  if (!bell || !window.WebSocket) return;

  var badge = bell.querySelector("[data-notif-badge]");
  var state = {
    lastId: parseInt(bell.dataset.lastId || "0", 10) || 0,
    unread: parseInt(badge ? badge.textContent : "0", 10) || 0,
    socket: null,
    connected: false,
    attempts: 0,
    pollTimer: null,
    heartbeatTimer: null,
    reconnectTimer: null,
    ticks: 0,
    stopped: false
  };
  var pollMs = Math.max(5, parseInt(bell.dataset.pollSeconds || "30", 10)) * 1000;
  var HEARTBEAT_MS = 25000;
  var MAX_BACKOFF_MS = 60000;
  var MAX_TOASTS = 4;

  // Django's JavaScript catalog (jsi18n/) may load after this file: look it up when used.
  function gettext(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function setUnread(count) {
    state.unread = Math.max(0, count | 0);
    if (!badge) return;
    badge.textContent = state.unread > 99 ? "99+" : String(state.unread);
    badge.hidden = state.unread === 0;
    bell.setAttribute("data-unread", String(state.unread));
  }

  // --- toasts ------------------------------------------------------------------------------
  var toastBox = document.createElement("div");
  toastBox.className = "notif-toasts";
  toastBox.setAttribute("role", "status");
  toastBox.setAttribute("aria-live", "polite");
  document.body.appendChild(toastBox);

  // The server's link rule (apps/notifications/links.py), again here: a row stored before
  // the rule existed may hold "javascript:…"; such a toast shows its title as plain text.
  var UNSAFE_LINK_CHARS = /[\s\u0000-\u001f\u007f-\u009f\\]/;
  var ABSOLUTE_LINK = /^https?:\/\/[^\/]/i;

  function safeLink(link) {
    if (typeof link !== "string" || !link || link.length > 500 || UNSAFE_LINK_CHARS.test(link)) {
      return false;
    }
    if (link.charAt(0) === "/") return link.charAt(1) !== "/";
    if (!ABSOLUTE_LINK.test(link)) return false;
    try {
      return !!new URL(link).hostname;
    } catch (e) {
      return false;
    }
  }

  function toast(n) {
    while (toastBox.children.length >= MAX_TOASTS) toastBox.removeChild(toastBox.firstChild);
    var item = document.createElement("div");
    item.className = "notif-toast notif-kind-" + n.kind;
    item.setAttribute("data-notification-id", n.id);
    var link = safeLink(n.link) ? n.link : "";
    var title = document.createElement(link ? "a" : "strong");
    title.className = "notif-toast-title";
    title.textContent = n.title;
    if (link) title.href = link;
    title.addEventListener("click", function () { send({ action: "mark_read", id: n.id }); });
    item.appendChild(title);
    if (n.message) {
      var body = document.createElement("p");
      body.textContent = n.message;
      item.appendChild(body);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "notif-toast-close";
    close.setAttribute("aria-label", gettext("Close"));
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(close);
    toastBox.appendChild(item);
    setTimeout(function () { item.remove(); }, 8000);
  }

  // --- socket ------------------------------------------------------------------------------
  function send(message) {
    if (state.socket && state.connected) state.socket.send(JSON.stringify(message));
  }

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type === "hello") {
      setUnread(data.unread_count);
      send({ action: "resume", after_id: state.lastId });
    } else if (data.type === "unread_count") {
      setUnread(data.unread_count);
    } else if (data.type === "notification" && data.notification) {
      var n = data.notification;
      if (n.id <= state.lastId) return;  // already seen (resume overlap)
      state.lastId = n.id;
      if (!n.is_read) toast(n);
      document.dispatchEvent(new CustomEvent("sms:notification", { detail: n }));
    }
  }

  function connect() {
    if (state.stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + bell.dataset.wsPath);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.onopen = function () {
      state.connected = true;
      state.attempts = 0;
      stopPolling();
      startHeartbeat();
      bell.classList.add("is-live");
    };
    socket.onmessage = onMessage;
    socket.onclose = function (event) {
      state.connected = false;
      state.socket = null;
      bell.classList.remove("is-live");
      stopHeartbeat();
      if (event.code === 4401) {  // session gone: stop, the next page load redirects to login
        state.stopped = true;
        return;
      }
      startPolling();
      scheduleReconnect();
    };
  }

  // 1 s, 2 s, 4 s … up to a minute; the jitter (random in [0, 1)) spreads a mass reconnect
  // over the upper half of each step.
  function backoffDelay(attempts, random) {
    var base = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts));
    return base / 2 + random * base / 2;
  }

  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    var delay = backoffDelay(state.attempts, Math.random());
    state.attempts += 1;
    state.reconnectTimer = setTimeout(connect, delay);
  }

  // Heartbeat keeps proxies from closing an idle socket; every fourth beat is a resume,
  // which also catches anything pushed while the channel layer was away.
  function startHeartbeat() {
    stopHeartbeat();
    state.heartbeatTimer = setInterval(function () {
      state.ticks += 1;
      send(state.ticks % 4 === 0 ? { action: "resume", after_id: state.lastId } : { action: "ping" });
    }, HEARTBEAT_MS);
  }

  function stopHeartbeat() { clearInterval(state.heartbeatTimer); state.heartbeatTimer = null; }

  // --- polling fallback (socket down) --------------------------------------------------------
  function poll() {
    fetch(bell.dataset.unreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) setUnread(body.unread_count); })
      .catch(function () {});
  }

  function startPolling() {
    if (state.pollTimer) return;
    poll();
    state.pollTimer = setInterval(poll, pollMs);
  }

  function stopPolling() { clearInterval(state.pollTimer); state.pollTimer = null; }

  document.addEventListener("visibilitychange", function () {
    // Not while a socket is still opening: a second one would leave two live sockets.
    if (document.visibilityState === "visible" && !state.connected && !state.socket && !state.stopped) {
      state.attempts = 0;
      clearTimeout(state.reconnectTimer);
      connect();
    }
  });

  window.SMSNotifications = {
    state: state,
    markRead: function (id) { send({ action: "mark_read", id: id }); },
    safeLink: safeLink,
    backoffDelay: backoffDelay
  };
  connect();
})();
