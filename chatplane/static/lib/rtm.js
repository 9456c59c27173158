// An RTM API client: one websocket carrying requests, responses and pushes
// (agent-chat-api and customer-chat-api, "Real-Time Messaging API").
//
// - request(action, payload) resolves with the response payload, or rejects with an
//   ApiError carrying the spec's error type and message.
// - Pushes are dispatched as "push" events ({detail: {action, payload}}).
// - After `login` succeeds the client pings every 15 s (a browser cannot send control
//   frame pings, so it uses the protocol's `ping` action).
// - A dropped connection is reopened by itself with exponential backoff and jitter; each
//   new connection logs in again through the `login` callback and then fires "ready".
//   The login asks to *resume* the previous session (docs/resume.md): when the server
//   still has it, the pushes missed meanwhile arrive right after the login, exactly once,
//   and "ready" says `resumed: true`; otherwise the owner fills in what it missed.
// - write(action, payload) sends a request with an idempotency key (docs/idempotency.md)
//   and, when the connection drops before the answer, sends it again with the same key
//   once the client is back: the server stores it once and answers the first answer.

export class ApiError extends Error {
  constructor(type, message, data) {
    super(message || type);
    this.type = type;
    this.data = data;
  }

  get unsupported() {
    // The server names an action it does not know this way (HTTP 404 on the Web API).
    return /^Unknown action/.test(this.message);
  }
}

const PING_EVERY_MS = 15000;
const REQUEST_TIMEOUT_MS = 20000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30000;

export class RtmClient extends EventTarget {
  /**
   * @param {object} opts
   * @param {string} opts.url  websocket URL (ws:// or wss://, with ?license_id= for customers)
   * @param {(client: RtmClient) => Promise<object>} opts.login  logs the connection in,
   *   returns the login response payload; throw an ApiError to fail
   */
  constructor({ url, login }) {
    super();
    this.url = url;
    this.login = login;
    this.ws = null;
    this.state = "idle"; // idle | connecting | ready | waiting | stopped
    this.pending = new Map();
    this.nextId = 1;
    this.attempt = 0;
    this.timer = null;
    this.pinger = null;
    this.retryAt = 0;
    // The last push seen: {session_id, seq} (a reconnect's login asks to resume after it).
    this.resumeMark = null;
    this.resumed = false;
  }

  start() {
    if (this.state !== "idle" && this.state !== "waiting") return;
    this.open();
  }

  /** Stop for good: no reconnecting. */
  stop(reason = "stopped") {
    this.setState("stopped", { reason });
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
    this.failPending(new ApiError("connection", "Disconnected"));
  }

  /** Drop the current connection (as a network failure would) and reconnect. */
  reconnectNow() {
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(4000);
    else if (this.state === "waiting") this.open();
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  open() {
    clearTimeout(this.timer);
    this.setState("connecting", { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.scheduleReconnect(String(err));
      return;
    }
    this.ws = ws;
    ws.onmessage = (msg) => this.receive(msg.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pinger);
      this.failPending(new ApiError("connection", "The connection was lost"));
      if (this.state !== "stopped") this.scheduleReconnect("closed");
    };
    ws.onopen = async () => {
      try {
        const payload = await this.login(this);
        if (this.ws !== ws) return;
        this.attempt = 0;
        this.pinger = setInterval(() => {
          this.request("ping", {}).catch(() => {});
        }, PING_EVERY_MS);
        this.setState("ready");
        this.dispatchEvent(new CustomEvent("ready", { detail: { ...payload, resumed: this.resumed } }));
      } catch (err) {
        if (this.ws !== ws) return;
        // A login the server refuses (bad token) is not retried blindly: the owner decides.
        this.dispatchEvent(new CustomEvent("login-failed", { detail: err }));
        if (this.state !== "stopped") ws.close(1000);
      }
    };
  }

  scheduleReconnect(why) {
    this.attempt += 1;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.attempt - 1));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.retryAt = Date.now() + delay;
    this.setState("waiting", { why, delay, attempt: this.attempt });
    this.timer = setTimeout(() => this.open(), delay);
  }

  failPending(err) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(err);
    }
    this.pending.clear();
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === "response") {
      if (msg.action === "login" && msg.success && msg.resume) {
        // The session this connection now has; pushes carry its numbers from here on.
        this.resumed = msg.resume.resumed === true;
        this.resumeMark = { session_id: msg.resume.session_id, seq: 0 };
      }
      const waiting = this.pending.get(msg.request_id);
      if (!waiting) return;
      this.pending.delete(msg.request_id);
      clearTimeout(waiting.timer);
      if (msg.success) {
        waiting.resolve(msg.payload || {});
      } else {
        const error = (msg.payload && msg.payload.error) || {};
        waiting.reject(new ApiError(error.type || "internal", error.message, error.data));
      }
      return;
    }
    if (msg.type === "push") {
      if (msg.resume) this.resumeMark = { session_id: msg.resume.session_id, seq: msg.resume.seq };
      this.dispatchEvent(
        new CustomEvent("push", { detail: { action: msg.action, payload: msg.payload || {} } }),
      );
      if (msg.action === "agent_disconnected" || msg.action === "customer_disconnected") {
        this.dispatchEvent(new CustomEvent("disconnected", { detail: msg.payload || {} }));
      }
    }
  }

  /**
   * A write that is safe to retry: sent with an idempotency key, and sent again with the
   * same key (at most `attempts` times) when the connection drops before its answer.
   */
  async write(action, payload = {}, { attempts = 4 } = {}) {
    const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request(action, payload, { idempotencyKey: key });
      } catch (err) {
        const lost = err instanceof ApiError && ["connection", "request_timeout"].includes(err.type);
        if (!lost || attempt >= attempts || this.state === "stopped") throw err;
        await this.whenReady();
      }
    }
  }

  /** Resolves once the client is connected and logged in (again). */
  whenReady() {
    if (this.state === "ready") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.removeEventListener("ready", done);
        resolve();
      };
      this.addEventListener("ready", done);
    });
  }

  /** Send a request; before login only `login` may go out. */
  request(action, payload = {}, { timeout = REQUEST_TIMEOUT_MS, idempotencyKey = null } = {}) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ApiError("connection", "Not connected: reconnecting…"));
    }
    if (this.state !== "ready" && action !== "login") {
      return Promise.reject(new ApiError("connection", "Not signed in yet: reconnecting…"));
    }
    const requestId = `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ApiError("request_timeout", `No answer to ${action}`));
      }, timeout);
      this.pending.set(requestId, { resolve, reject, timer });
      const frame = { request_id: requestId, action, payload };
      if (idempotencyKey) frame.idempotency_key = idempotencyKey;
      if (action === "login" && this.resumeMark) frame.resume = this.resumeMark;
      ws.send(JSON.stringify(frame));
    });
  }
}

/** ws(s)://host/path for a path on `base` (an http(s) origin). */
export function websocketUrl(base, path) {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
