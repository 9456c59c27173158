// The Agent App's model of chats, fed by RTM responses and pushes in the v3.0 shapes.
import { mergeEvent } from "../lib/events.js";

export class Chat {
  constructor(id) {
    this.id = id;
    this.users = [];
    this.properties = {};
    this.access = {};
    this.threads = new Map(); // thread id -> {id, active, order, events, properties, timestamp}
    this.threadOrder = []; // [{thread_id, order}] from get_chat_threads
    this.lastThreadId = null;
    this.lastEvent = null;
    this.loaded = false; // the last thread's events are all here
    this.unread = 0;
    this.typing = null; // {author_id, until}
    this.sneakPeek = null; // {author_id, text}
    this.form = {}; // the customer's pre-chat answers: {name, email}
  }

  /** The customer's name: their profile's, else the pre-chat form's. */
  customerName() {
    const c = this.customer;
    return (c && c.name) || this.form.name || (c && c.email) || this.form.email || "Customer";
  }

  noteForm(event) {
    if (event.type !== "filled_form") return;
    for (const field of event.fields || []) {
      if ((field.type === "name" || field.type === "email") && typeof field.answer === "string" && field.answer) {
        this.form[field.type] = field.answer;
      }
    }
  }

  get lastThread() {
    return this.lastThreadId ? this.threads.get(this.lastThreadId) : null;
  }

  get active() {
    const t = this.lastThread;
    return Boolean(t && t.active);
  }

  get customer() {
    return this.users.find((u) => u.type === "customer") || null;
  }

  user(id) {
    return this.users.find((u) => u.id === id) || null;
  }

  presentAgents() {
    return this.users.filter((u) => u.type === "agent" && u.present !== false);
  }

  hasPresentAgent(agentId) {
    return this.presentAgents().some((u) => u.id === agentId);
  }

  thread(id, fields = {}) {
    let t = this.threads.get(id);
    if (!t) {
      t = { id, active: false, order: 0, events: [], properties: {}, timestamp: 0 };
      this.threads.set(id, t);
    }
    Object.assign(t, fields);
    const last = this.lastThread;
    if (!last || (t.order ?? 0) >= (last.order ?? 0)) this.lastThreadId = t.id;
    return t;
  }

  addEvent(threadId, event) {
    const t = this.threads.get(threadId) || this.thread(threadId, { active: true });
    const added = mergeEvent(t.events, event);
    this.noteForm(event);
    if (!this.lastEvent || (event.timestamp ?? 0) >= (this.lastEvent.timestamp ?? 0)) {
      if (event.type !== "system_message" || !this.lastEvent) this.lastEvent = event;
    }
    return added;
  }

  sortedThreads() {
    return [...this.threads.values()]
      .filter((t) => t.events.length > 0 || t.id === this.lastThreadId)
      .sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  }

  // -- the v3.0 shapes --------------------------------------------------------------

  /** A chat summary (login's chats_summary, get_filtered_chats). */
  applySummary(s) {
    this.users = s.users || this.users;
    this.properties = s.properties || {};
    this.access = s.access || {};
    const lts = s.last_thread_summary;
    if (lts) {
      if (this.lastThreadId && this.lastThreadId !== lts.id) this.loaded = false;
      this.thread(lts.id, {
        active: lts.active,
        order: lts.order,
        timestamp: lts.timestamp,
        properties: lts.properties || {},
      });
    }
    let newest = null;
    for (const entry of Object.values(s.last_event_per_type || {})) {
      const e = entry.event;
      this.noteForm(e);
      if (!newest || (e.timestamp ?? 0) > (newest.timestamp ?? 0)) newest = e;
      if (e.type === "message" || e.type === "file" || e.type === "filled_form") {
        if (!this.lastEvent || (e.timestamp ?? 0) >= (this.lastEvent.timestamp ?? 0)) this.lastEvent = e;
      }
    }
    if (!this.lastEvent) this.lastEvent = newest;
  }

  /** A chat object with one `thread` (start_chat, incoming_chat_thread, get_archives). */
  applyChatWithThread(chat) {
    this.users = chat.users || this.users;
    this.properties = chat.properties || {};
    this.access = chat.access || {};
    if (chat.thread) this.applyThread(chat.thread, true);
  }

  /** get_chat_threads's chat: `threads` with events and `threads_summary`. */
  applyChatThreads(chat) {
    this.users = chat.users || this.users;
    this.properties = chat.properties || {};
    this.access = chat.access || {};
    if (chat.threads_summary) {
      this.threadOrder = [...chat.threads_summary].sort((a, b) => a.order - b.order);
      const last = this.threadOrder[this.threadOrder.length - 1];
      if (last) this.thread(last.thread_id, { order: last.order });
    }
    for (const t of chat.threads || []) this.applyThread(t, t.id === this.lastThreadId);
  }

  applyThread(t, complete) {
    const thread = this.thread(t.id, {
      active: t.active,
      order: t.order,
      timestamp: t.timestamp ?? 0,
      properties: t.properties || {},
    });
    for (const e of t.events || []) this.addEvent(t.id, e);
    if (complete && thread.id === this.lastThreadId) this.loaded = true;
    return thread;
  }

  /** The id of the thread before the earliest one loaded, if any. */
  previousThreadId() {
    const loaded = this.sortedThreads();
    const first = loaded[0];
    if (!first) return null;
    const before = this.threadOrder.filter((t) => t.order < (first.order ?? 0));
    return before.length ? before[before.length - 1].thread_id : null;
  }
}

export class Store {
  constructor() {
    this.chats = new Map();
    this.me = null;
  }

  chat(id) {
    let c = this.chats.get(id);
    if (!c) {
      c = new Chat(id);
      this.chats.set(id, c);
    }
    return c;
  }

  isMine(chat) {
    return Boolean(this.me) && chat.hasPresentAgent(this.me.id);
  }

  isQueued(chat) {
    return chat.active && chat.presentAgents().length === 0;
  }

  mine() {
    return [...this.chats.values()].filter((c) => this.isMine(c)).sort(byRecent);
  }

  queue() {
    return [...this.chats.values()].filter((c) => this.isQueued(c)).sort(byWaiting);
  }
}

function byRecent(a, b) {
  if (a.active !== b.active) return a.active ? -1 : 1;
  return (b.lastEvent?.timestamp ?? 0) - (a.lastEvent?.timestamp ?? 0);
}

function byWaiting(a, b) {
  return (a.lastThread?.timestamp ?? 0) - (b.lastThread?.timestamp ?? 0);
}

export function displayName(user) {
  if (!user) return "Customer";
  return user.name || user.email || (user.type === "customer" ? "Customer" : user.id);
}
