// Shared by the static/js tests: a jsdom page that runs the project's scripts as the browser
// would (deferred, before DOMContentLoaded), fake timers, and fakes for the network
// (WebSocket, XMLHttpRequest for htmx, fetch) that the test answers itself.
import { readFileSync } from "node:fs";
import { mock } from "node:test";
import { JSDOM, VirtualConsole } from "jsdom";

const ROOT = new URL("../../", import.meta.url);

export function source(path) {
  return readFileSync(new URL(path, ROOT), "utf8");
}

// Only setTimeout/setInterval: jsdom itself needs real setImmediate and Date. Node 20+ takes
// { apis }, Node 18 the list itself (and reads an object as "mock everything").
export function useFakeTimers() {
  const apis = ["setTimeout", "setInterval"];
  mock.timers.reset(); // Node 18 runs a root-level beforeEach for a suite and its tests alike
  try {
    mock.timers.enable({ apis });
  } catch {
    mock.timers.enable(apis);
  }
  return mock.timers;
}

// Moves the clock in steps: a timer set while the clock moves (jsdom runs setInterval as a
// chain of timeouts) counts from the step it was set in, as in a browser.
export function advance(ms, step = 1000) {
  for (let left = ms; left > 0; left -= step) mock.timers.tick(Math.min(step, left));
}

export function restoreTimers() {
  mock.timers.reset();
}

// htmx 2 calls XPathExpression.evaluate(node) without a result type, which browsers read as
// ANY_TYPE and jsdom refuses; give jsdom the browsers' default.
function xpathDefaults(window) {
  const proto = window.XPathExpression.prototype;
  const evaluate = proto.evaluate;
  proto.evaluate = function (node, type = 0, result = null) {
    return evaluate.call(this, node, type, result);
  };
}

// CSS.escape (CSSOM), which htmx uses for out-of-band swaps and jsdom lacks.
function cssEscape(value) {
  const text = String(value);
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const char = text.charAt(i);
    const leadingDigit = /[0-9]/.test(char) && (i === 0 || (i === 1 && text[0] === "-"));
    if (code === 0) out += "\uFFFD";
    else if ((code >= 1 && code <= 31) || code === 127 || leadingDigit) out += `\\${code.toString(16)} `;
    else if (i === 0 && char === "-" && text.length === 1) out += `\\${char}`;
    else if (code >= 128 || /[-_0-9a-zA-Z]/.test(char)) out += char;
    else out += `\\${char}`;
  }
  return out;
}

/**
 * A page with `body`, the given scripts run in order (paths from the project root), and
 * DOMContentLoaded fired. `before(window)` installs fakes before any script runs.
 * Script errors (uncaught in a listener or a timer) are kept in `page.errors`.
 */
export async function openPage(body, { url = "http://school.test/", head = "", scripts = [], before } = {}) {
  const errors = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on("jsdomError", (error) => errors.push(error));
  const dom = new JSDOM(`<!DOCTYPE html><html lang="en"><head>${head}</head><body>${body}</body></html>`, {
    url,
    runScripts: "outside-only",
    pretendToBeVisual: true,
    virtualConsole,
  });
  const { window } = dom;
  xpathDefaults(window);
  if (!window.CSS) window.CSS = { escape: cssEscape };
  if (before) before(window);
  for (const script of scripts) window.eval(source(script));
  if (window.document.readyState === "loading") {
    await new Promise((resolve) => window.document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  }
  return { window, document: window.document, errors, close: () => window.close() };
}

// Lets promise callbacks (fetch().then…) run.
export async function flush() {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

export function key(target, name, options = {}) {
  const event = new target.ownerDocument.defaultView.KeyboardEvent("keydown", {
    key: name,
    bubbles: true,
    cancelable: true,
    ...options,
  });
  target.dispatchEvent(event);
  return event;
}

// --- WebSocket ------------------------------------------------------------------------------
/** A WebSocket class whose instances land in `sockets`; the test plays the server. */
export function fakeWebSocket(sockets) {
  return class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.readyState = 0;
      sockets.push(this);
    }

    send(text) {
      if (this.readyState !== 1) throw new Error("send() on a socket that is not open");
      this.sent.push(JSON.parse(text));
    }

    close() {
      this.readyState = 3;
    }

    // server side
    accept() {
      this.readyState = 1;
      this.onopen({ type: "open" });
    }

    push(message) {
      this.onmessage({ data: typeof message === "string" ? message : JSON.stringify(message) });
    }

    drop(code = 1006) {
      this.readyState = 3;
      this.onclose({ code });
    }
  };
}

// --- fetch ----------------------------------------------------------------------------------
/** A fetch that records its calls and answers from `reply(url, options)`. */
export function fakeFetch(reply) {
  const calls = [];
  const fetch = (url, options) => {
    calls.push({ url: String(url), options });
    return Promise.resolve().then(() => reply(url, options));
  };
  return { fetch, calls };
}

export function jsonResponse(body, status = 200) {
  return { ok: status >= 200 && status < 300, status, json: () => Promise.resolve(body) };
}

// --- XMLHttpRequest (what htmx uses) -------------------------------------------------------
/** Installs an XMLHttpRequest whose sent requests land in `requests`; answer each with
 * `respond(status, body)` or `fail()` (a network error). */
export function fakeXhr(window, requests) {
  window.XMLHttpRequest = class FakeXMLHttpRequest {
    constructor() {
      this.readyState = 0;
      this.status = 0;
      this.response = "";
      this.responseText = "";
      this.responseURL = "";
      this.requestHeaders = {};
      this.responseHeaders = {};
      this.listeners = {};
      this.upload = { addEventListener() {} };
    }

    open(method, url) {
      this.method = method;
      this.url = url;
      this.readyState = 1;
    }

    overrideMimeType() {}

    setRequestHeader(name, value) {
      this.requestHeaders[name] = value;
    }

    addEventListener(type, listener) {
      (this.listeners[type] ||= []).push(listener);
    }

    getResponseHeader(name) {
      return this.responseHeaders[name.toLowerCase()] ?? null;
    }

    getAllResponseHeaders() {
      return Object.entries(this.responseHeaders)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join("");
    }

    send(body) {
      this.body = body;
      requests.push(this);
    }

    abort() {}

    get form() {
      return new URLSearchParams(this.body || "");
    }

    respond(status, body, headers = {}) {
      this.status = status;
      this.response = this.responseText = body;
      this.responseHeaders = { "content-type": "text/html; charset=utf-8", ...headers };
      this.responseURL = new URL(this.url, window.location.href).href;
      this.readyState = 4;
      this.onload();
      (this.listeners.loadend || []).forEach((listener) => listener({ type: "loadend" }));
    }

    fail() {
      this.readyState = 4;
      this.onerror();
      (this.listeners.loadend || []).forEach((listener) => listener({ type: "loadend" }));
    }
  };
}
