// static/js/notifications.js: the bell, toasts, reconnect with backoff, resume, polling.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import {
  advance,
  fakeFetch,
  fakeWebSocket,
  flush,
  jsonResponse,
  openPage,
  restoreTimers,
  useFakeTimers,
} from "./helpers.mjs";

const SCRIPT = "static/js/notifications.js";

function bellHtml({ lastId = 7, unread = 2, pollSeconds = 30 } = {}) {
  return `<a class="notif-bell" href="/notifications/" id="notif-bell"
      data-ws-path="/ws/notifications/" data-unread-url="/api/v1/notifications/unread-count/"
      data-list-url="/notifications/" data-last-id="${lastId}" data-poll-seconds="${pollSeconds}">
    <span class="notif-badge" data-notif-badge${unread ? "" : " hidden"}>${unread}</span></a>`;
}

function notification(id, overrides = {}) {
  return {
    type: "notification",
    notification: {
      id,
      kind: "grade_posted",
      title: `Grade ${id}`,
      message: "Midterm: 80",
      data: {},
      link: "/courses/3/",
      created_at: "2025-05-01T10:00:00+00:00",
      is_read: false,
      ...overrides,
    },
  };
}

let timers;
let page;
let sockets;
let fetchCalls;
let fetchReply;

async function load({ bell = bellHtml(), url = "http://school.test/", before } = {}) {
  sockets = [];
  fetchReply = () => jsonResponse({ unread_count: 0 });
  const fake = fakeFetch((...args) => fetchReply(...args));
  fetchCalls = fake.calls;
  page = await openPage(bell, {
    url,
    scripts: [SCRIPT],
    before(window) {
      window.WebSocket = fakeWebSocket(sockets);
      window.fetch = fake.fetch;
      if (before) before(window);
    },
  });
  return page;
}

// The server side of a fresh connection: accept, then "hello" with the unread count.
function connected(socket, unread = 2) {
  socket.accept();
  socket.push({ type: "hello", unread_count: unread });
  return socket;
}

function badge() {
  return page.document.querySelector("[data-notif-badge]");
}

function toasts() {
  return Array.from(page.document.querySelectorAll(".notif-toasts .notif-toast"));
}

function setRandom(value) {
  page.window.Math.random = () => value;
}

beforeEach(() => {
  timers = useFakeTimers();
});

afterEach(() => {
  // real timers first: closing the window clears its timers (Node 18's mock trips on that)
  restoreTimers();
  const errors = page ? page.errors : [];
  if (page) page.close();
  page = null;
  assert.deepEqual(errors, [], "no script error on the page");
});

describe("connection", () => {
  test("notifications_connects_to_the_bells_socket_path_on_load", async () => {
    await load();

    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].url, "ws://school.test/ws/notifications/");
  });

  test("notifications_uses_wss_on_an_https_page", async () => {
    await load({ url: "https://school.example/courses/" });

    assert.equal(sockets[0].url, "wss://school.example/ws/notifications/");
  });

  test("notifications_does_nothing_on_a_page_without_the_bell", async () => {
    await load({ bell: "<main>Log in</main>" });

    assert.equal(sockets.length, 0);
    assert.equal(page.document.querySelector(".notif-toasts"), null);
    assert.equal(page.window.SMSNotifications, undefined);
  });

  test("notifications_marks_the_bell_live_while_the_socket_is_open", async () => {
    await load();
    const bell = page.document.getElementById("notif-bell");

    sockets[0].accept();
    const liveWhileOpen = bell.classList.contains("is-live");
    sockets[0].drop();

    assert.equal(liveWhileOpen, true);
    assert.equal(bell.classList.contains("is-live"), false);
  });

  test("notifications_hello_sets_the_unread_count_and_resumes_after_the_pages_last_id", async () => {
    await load({ bell: bellHtml({ lastId: 41, unread: 0 }) });

    connected(sockets[0], 5);

    assert.equal(badge().textContent, "5");
    assert.equal(badge().hidden, false);
    assert.deepEqual(sockets[0].sent, [{ action: "resume", after_id: 41 }]);
  });

  test("notifications_ignores_frames_that_are_not_json_and_server_errors", async () => {
    await load();
    const socket = connected(sockets[0], 3);

    socket.push("not json {");
    socket.push({ type: "error", error: "invalid_after_id", detail: "Enter a whole number." });

    assert.equal(badge().textContent, "3");
    assert.equal(toasts().length, 0);
    assert.equal(sockets.length, 1);
  });
});

describe("backoff", () => {
  test("notifications_backoff_delay_doubles_from_one_second", async () => {
    await load();
    const { backoffDelay } = page.window.SMSNotifications;

    const lowest = [0, 1, 2, 3, 4].map((attempts) => backoffDelay(attempts, 0));

    assert.deepEqual(lowest, [500, 1000, 2000, 4000, 8000]);
  });

  test("notifications_backoff_delay_is_capped_at_a_minute", async () => {
    await load();
    const { backoffDelay } = page.window.SMSNotifications;

    const late = [6, 7, 10, 50, 1000].map((attempts) => backoffDelay(attempts, 0.999999));

    assert.ok(late.every((delay) => delay <= 60000 && delay >= 59999), String(late));
  });

  test("notifications_backoff_jitter_stays_in_the_upper_half_of_each_step", async () => {
    await load();
    const { backoffDelay } = page.window.SMSNotifications;

    for (const attempts of [0, 3, 8]) {
      const base = Math.min(60000, 1000 * 2 ** attempts);
      const delays = [0, 0.25, 0.5, 0.75, 0.999].map((random) => backoffDelay(attempts, random));

      assert.ok(delays.every((delay) => delay >= base / 2 && delay < base), `${attempts}: ${delays}`);
      assert.equal(new Set(delays).size, delays.length, "different random, different delay");
    }
  });

  test("notifications_reconnects_no_sooner_than_the_jittered_delay", async () => {
    await load();
    setRandom(0.5); // first step: 500 + 0.5 · 500 = 750 ms
    connected(sockets[0]);

    sockets[0].drop();
    timers.tick(749);
    const beforeDelay = sockets.length;
    timers.tick(1);

    assert.equal(beforeDelay, 1);
    assert.equal(sockets.length, 2);
  });

  test("notifications_reconnect_delays_grow_while_the_server_stays_away", async () => {
    await load();
    setRandom(0);
    connected(sockets[0]);
    sockets[0].drop();
    const waits = [];

    for (let attempt = 0; attempt < 8; attempt += 1) {
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before) {
        timers.tick(100);
        waited += 100;
      }
      waits.push(waited);
      sockets.at(-1).drop(); // refused again
    }

    assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  test("notifications_backoff_starts_over_after_a_good_connection", async () => {
    await load();
    setRandom(0);
    connected(sockets[0]);
    sockets[0].drop();
    timers.tick(500);
    sockets[1].drop();
    timers.tick(1000);
    sockets[2].drop();
    timers.tick(2000);

    connected(sockets[3]); // back: the next drop waits the first step again
    sockets[3].drop();
    timers.tick(499);
    const early = sockets.length;
    timers.tick(1);

    assert.equal(early, 4);
    assert.equal(sockets.length, 5);
  });

  test("notifications_retries_when_the_websocket_constructor_throws", async () => {
    let refusals = 1;
    await load({
      before(window) {
        window.Math.random = () => 0;
        const Real = window.WebSocket;
        window.WebSocket = function (url) {
          if (refusals-- > 0) throw new window.DOMException("blocked", "SecurityError");
          return new Real(url);
        };
      },
    });
    const refused = sockets.length;

    timers.tick(500);

    assert.equal(refused, 0);
    assert.equal(sockets.length, 1);
  });

  test("notifications_stops_for_good_when_the_session_is_gone", async () => {
    await load();
    connected(sockets[0]);

    sockets[0].drop(4401);
    advance(10 * 60 * 1000);
    page.document.dispatchEvent(new page.window.Event("visibilitychange"));

    assert.equal(sockets.length, 1);
    assert.equal(fetchCalls.length, 0);
    assert.equal(page.window.SMSNotifications.state.stopped, true);
  });

  test("notifications_reconnects_at_once_when_the_tab_becomes_visible", async () => {
    await load();
    setRandom(0);
    connected(sockets[0]);
    sockets[0].drop();
    timers.tick(500);
    sockets[1].drop(); // next try would wait 1 s

    page.document.dispatchEvent(new page.window.Event("visibilitychange"));

    assert.equal(sockets.length, 3);
    assert.equal(page.window.SMSNotifications.state.attempts, 0);
  });

  test("notifications_opens_no_second_socket_while_one_is_still_connecting", async () => {
    await load();
    setRandom(0);
    connected(sockets[0]);
    sockets[0].drop();
    timers.tick(500); // a reconnect is opening

    page.document.dispatchEvent(new page.window.Event("visibilitychange"));
    sockets[1].accept();

    assert.equal(sockets.length, 2);
  });
});

describe("resume", () => {
  test("notifications_resumes_after_the_newest_id_seen_when_it_reconnects", async () => {
    await load({ bell: bellHtml({ lastId: 7 }) });
    setRandom(0);
    const first = connected(sockets[0]);
    first.push(notification(8));
    first.push(notification(9));

    first.drop();
    timers.tick(500);
    connected(sockets[1], 4);

    assert.deepEqual(sockets[1].sent, [{ action: "resume", after_id: 9 }]);
  });

  test("notifications_shows_what_was_missed_once_when_the_replay_overlaps", async () => {
    await load({ bell: bellHtml({ lastId: 7 }) });
    const socket = connected(sockets[0]);
    socket.push(notification(8));

    // replay after a gap: 8 again, then what was missed, then the count
    socket.push(notification(8));
    socket.push(notification(9, { title: "Missed one" }));
    socket.push({ type: "unread_count", unread_count: 4 });

    assert.deepEqual(
      toasts().map((item) => item.getAttribute("data-notification-id")),
      ["8", "9"],
    );
    assert.equal(badge().textContent, "4");
  });

  test("notifications_ignores_a_push_not_newer_than_the_page", async () => {
    await load({ bell: bellHtml({ lastId: 12 }) });
    const seen = [];
    page.document.addEventListener("sms:notification", (event) => seen.push(event.detail.id));
    const socket = connected(sockets[0]);

    socket.push(notification(12));
    socket.push(notification(5));

    assert.equal(toasts().length, 0);
    assert.deepEqual(seen, []);
  });

  test("notifications_every_fourth_heartbeat_is_a_resume", async () => {
    await load({ bell: bellHtml({ lastId: 7 }) });
    const socket = connected(sockets[0]);
    socket.push(notification(10));
    socket.sent.length = 0;

    advance(4 * 25000);

    assert.deepEqual(socket.sent, [
      { action: "ping" },
      { action: "ping" },
      { action: "ping" },
      { action: "resume", after_id: 10 },
    ]);
  });

  test("notifications_heartbeat_stops_when_the_socket_closes", async () => {
    await load();
    const socket = connected(sockets[0]);
    socket.sent.length = 0;

    socket.drop(4401);
    advance(5 * 25000);

    assert.deepEqual(socket.sent, []);
  });
});

describe("toasts", () => {
  test("notifications_push_shows_a_toast_with_title_and_message", async () => {
    await load();
    const socket = connected(sockets[0]);

    socket.push(notification(8, { title: "New grade in Networks", message: "Midterm: 80" }));

    assert.equal(toasts().length, 1);
    assert.equal(toasts()[0].querySelector(".notif-toast-title").textContent, "New grade in Networks");
    assert.equal(toasts()[0].querySelector("p").textContent, "Midterm: 80");
    assert.ok(toasts()[0].classList.contains("notif-kind-grade_posted"));
  });

  test("notifications_toast_box_is_a_polite_live_region", async () => {
    await load();

    const box = page.document.querySelector(".notif-toasts");

    assert.equal(box.getAttribute("role"), "status");
    assert.equal(box.getAttribute("aria-live"), "polite");
  });

  test("notifications_toast_shows_html_in_a_title_as_text", async () => {
    await load();
    const socket = connected(sockets[0]);
    const title = '<img src=x onerror="window.pwned=1"><b>Hi</b>';

    socket.push(notification(8, { title, message: "<script>window.pwned=2</script>" }));

    const item = toasts()[0];
    assert.equal(item.querySelector(".notif-toast-title").textContent, title);
    assert.equal(item.querySelector("p").textContent, "<script>window.pwned=2</script>");
    assert.equal(item.querySelector("img, b, script"), null);
    assert.equal(page.window.pwned, undefined);
  });

  test("notifications_toast_without_a_message_has_no_paragraph", async () => {
    await load();
    const socket = connected(sockets[0]);

    socket.push(notification(8, { message: "" }));

    assert.equal(toasts()[0].querySelector("p"), null);
  });

  test("notifications_toast_links_a_safe_site_path", async () => {
    await load();
    const socket = connected(sockets[0]);

    socket.push(notification(8, { link: "/courses/3/grades/" }));

    const title = toasts()[0].querySelector(".notif-toast-title");
    assert.equal(title.tagName, "A");
    assert.equal(title.getAttribute("href"), "/courses/3/grades/");
  });

  test("notifications_toast_with_an_unsafe_link_shows_plain_text", async () => {
    await load();
    const socket = connected(sockets[0]);
    const unsafe = ["javascript:alert(1)", "//evil.example/x", "java\tscript:alert(1)", "data:text/html,hi"];

    unsafe.forEach((link, index) => socket.push(notification(8 + index, { link })));

    assert.equal(toasts().length, 4);
    for (const item of toasts()) {
      assert.equal(item.querySelector("a"), null);
      assert.equal(item.querySelector(".notif-toast-title").tagName, "STRONG");
    }
  });

  test("notifications_safe_link_follows_the_servers_link_rule", async () => {
    await load();
    const { safeLink } = page.window.SMSNotifications;
    // the cases of apps/notifications/links.py (an empty link is simply no link here)
    const cases = {
      "/courses/3/": true,
      "/": true,
      "https://example.org/page": true,
      "HTTP://Example.org/": true,
      "//evil.example/": false,
      "/\\evil.example": false,
      "javascript:alert(1)": false,
      " javascript:alert(1)": false,
      "java\nscript:alert(1)": false,
      "vbscript:msgbox": false,
      "data:text/html;base64,PHNjcmlwdD4=": false,
      "https://": false,
      "ftp://example.org/file": false,
      "courses/3/": false,
      "/a\u0000b": false,
      "/a\u0085b": false,
      ["/" + "a".repeat(500)]: false,
      ["/" + "a".repeat(499)]: true,
      "": false,
    };

    const verdicts = Object.fromEntries(Object.keys(cases).map((link) => [link, safeLink(link)]));

    assert.deepEqual(verdicts, cases);
    assert.equal(safeLink(null), false);
    assert.equal(safeLink({ toString: () => "/x" }), false);
  });

  test("notifications_toast_disappears_after_eight_seconds", async () => {
    await load();
    const socket = connected(sockets[0]);
    socket.push(notification(8));

    timers.tick(7999);
    const stillThere = toasts().length;
    timers.tick(1);

    assert.equal(stillThere, 1);
    assert.equal(toasts().length, 0);
  });

  test("notifications_toast_close_button_removes_it", async () => {
    await load({
      before(window) {
        window.gettext = (text) => ({ Close: "Κλείσιμο" })[text] || text;
      },
    });
    const socket = connected(sockets[0]);
    socket.push(notification(8));
    const close = toasts()[0].querySelector("button.notif-toast-close");

    const label = close.getAttribute("aria-label");
    close.click();

    assert.equal(label, "Κλείσιμο");
    assert.equal(toasts().length, 0);
  });

  test("notifications_keeps_at_most_four_toasts_dropping_the_oldest", async () => {
    await load();
    const socket = connected(sockets[0]);

    for (let id = 8; id <= 13; id += 1) socket.push(notification(id));

    assert.deepEqual(
      toasts().map((item) => item.getAttribute("data-notification-id")),
      ["10", "11", "12", "13"],
    );
  });

  test("notifications_read_notification_raises_the_event_but_no_toast", async () => {
    await load();
    const seen = [];
    page.document.addEventListener("sms:notification", (event) => seen.push(event.detail.title));
    const socket = connected(sockets[0]);

    socket.push(notification(8, { is_read: true, title: "Read elsewhere" }));

    assert.equal(toasts().length, 0);
    assert.deepEqual(seen, ["Read elsewhere"]);
  });

  test("notifications_clicking_a_toast_marks_it_read_and_the_bell_follows", async () => {
    await load();
    const socket = connected(sockets[0], 2);
    socket.push(notification(8, { link: "" }));
    socket.push({ type: "unread_count", unread_count: 3 });
    socket.sent.length = 0;

    toasts()[0].querySelector(".notif-toast-title").click();
    socket.push({ type: "unread_count", unread_count: 2 }); // the server's answer to every tab

    assert.deepEqual(socket.sent, [{ action: "mark_read", id: 8 }]);
    assert.equal(badge().textContent, "2");
  });
});

describe("bell count", () => {
  test("notifications_bell_counts_up_on_a_push", async () => {
    await load({ bell: bellHtml({ unread: 0 }) });
    const socket = connected(sockets[0], 0);
    const wasHidden = badge().hidden;

    socket.push(notification(8));
    socket.push({ type: "unread_count", unread_count: 1 });

    assert.equal(wasHidden, true);
    assert.equal(badge().textContent, "1");
    assert.equal(badge().hidden, false);
    assert.equal(page.document.getElementById("notif-bell").getAttribute("data-unread"), "1");
  });

  test("notifications_bell_hides_the_badge_when_all_are_read", async () => {
    await load({ bell: bellHtml({ unread: 2 }) });
    const socket = connected(sockets[0], 2);

    page.window.SMSNotifications.markRead(8);
    socket.push({ type: "unread_count", unread_count: 0 });

    assert.deepEqual(socket.sent.at(-1), { action: "mark_read", id: 8 });
    assert.equal(badge().textContent, "0");
    assert.equal(badge().hidden, true);
  });

  test("notifications_bell_shows_99_plus_above_99", async () => {
    await load();
    const socket = connected(sockets[0]);

    socket.push({ type: "unread_count", unread_count: 150 });

    assert.equal(badge().textContent, "99+");
  });

  test("notifications_bell_never_shows_a_negative_count", async () => {
    await load();
    const socket = connected(sockets[0]);

    socket.push({ type: "unread_count", unread_count: -3 });

    assert.equal(badge().textContent, "0");
    assert.equal(badge().hidden, true);
  });

  test("notifications_mark_read_sends_nothing_while_disconnected", async () => {
    await load();

    page.window.SMSNotifications.markRead(8); // socket still opening

    assert.deepEqual(sockets[0].sent, []);
  });
});

describe("polling fallback", () => {
  test("notifications_polls_the_unread_count_while_the_socket_is_down", async () => {
    await load({ bell: bellHtml({ pollSeconds: 30 }) });
    fetchReply = () => jsonResponse({ unread_count: 6 });
    connected(sockets[0]);

    sockets[0].drop(1013);
    await flush();

    assert.equal(fetchCalls.length, 1);
    assert.equal(fetchCalls[0].url, "/api/v1/notifications/unread-count/");
    assert.equal(fetchCalls[0].options.credentials, "same-origin");
    assert.equal(fetchCalls[0].options.headers.Accept, "application/json");
    assert.equal(badge().textContent, "6");
  });

  test("notifications_polls_at_the_bells_interval_until_the_socket_is_back", async () => {
    await load({ bell: bellHtml({ pollSeconds: 30 }) });
    setRandom(0);
    connected(sockets[0]);

    sockets[0].drop();
    advance(29999); // the reconnect (at 0.5 s) is still opening
    const beforeInterval = fetchCalls.length;
    timers.tick(1);
    const atInterval = fetchCalls.length;
    connected(sockets[1]);
    advance(5 * 60000);

    assert.equal(beforeInterval, 1);
    assert.equal(atInterval, 2);
    assert.equal(fetchCalls.length, 2);
  });

  test("notifications_poll_interval_is_at_least_five_seconds", async () => {
    await load({ bell: bellHtml({ pollSeconds: 1 }) });
    connected(sockets[0]);

    sockets[0].drop(4000);
    timers.tick(4999);
    const early = fetchCalls.length;
    timers.tick(1);

    assert.equal(early, 1);
    assert.equal(fetchCalls.length, 2);
  });

  test("notifications_poll_that_fails_leaves_the_count_as_it_was", async () => {
    await load({ bell: bellHtml({ unread: 3 }) });
    const socket = connected(sockets[0], 3);
    fetchReply = () => jsonResponse({ detail: "Down" }, 503);

    socket.drop();
    await flush();
    fetchReply = () => Promise.reject(new TypeError("Failed to fetch"));
    timers.tick(30000);
    await flush();

    assert.equal(fetchCalls.length, 2);
    assert.equal(badge().textContent, "3");
  });
});
