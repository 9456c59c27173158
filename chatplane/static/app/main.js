// The Agent App: sign in, chats, queue, archives and a live conversation over the RTM API.
import { el, eventBody, formatTime } from "../lib/events.js";
import { ApiError, RtmClient, websocketUrl } from "../lib/rtm.js";
import { accounts, sendFile } from "../lib/web.js";
import { Store, displayName } from "./store.js";

const BASE = location.origin;
const AUTH_KEY = "chatplane.agent.auth";
const TYPING_SHOWN_MS = 6000;

const $ = (id) => document.getElementById(id);
const store = new Store();
const ui = {
  tab: "mine",
  selected: null, // chat id
  archive: null, // {chat} of an archived thread being shown
  archives: [],
  typingSentAt: 0,
  typingStop: null,
  seenTimer: null,
  everReady: false,
};
let rtm = null;

// -- helpers -------------------------------------------------------------------------

function toast(message, kind = "info") {
  const box = $("toasts");
  const item = el("div", { class: `toast ${kind}` }, el("span", {}, message));
  if (kind === "error") {
    // Errors stay until read and dismissed.
    item.append(el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => item.remove() }, "✕"));
    while (box.querySelectorAll(".toast.error").length >= 3) box.querySelector(".toast.error").remove();
  } else {
    setTimeout(() => item.remove(), 5000);
  }
  box.append(item);
}

function explain(err) {
  if (err instanceof ApiError && err.unsupported) return "This server does not support that yet.";
  return err && err.message ? err.message : String(err);
}

function loadAuth() {
  try {
    return JSON.parse(sessionStorage.getItem(AUTH_KEY) || "null");
  } catch {
    return null;
  }
}

function saveAuth(auth) {
  if (auth) sessionStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  else sessionStorage.removeItem(AUTH_KEY);
}

async function call(action, payload = {}) {
  if (!rtm) throw new ApiError("connection", "Not connected");
  return rtm.request(action, payload);
}

/** A write that survives a dropped connection: retried with its idempotency key. */
async function write(action, payload = {}) {
  if (!rtm) throw new ApiError("connection", "Not connected");
  return rtm.write(action, payload);
}

// -- sign in / out -------------------------------------------------------------------

function showSignin(message = "") {
  $("workspace").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  document.title = "Chatplane Agent App";
  $("signin-email").focus();
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const email = $("signin-email").value.trim();
  const password = $("signin-password").value;
  $("signin-error").textContent = "";
  if (!email || !password) {
    $("signin-error").textContent = "Enter your e-mail and password.";
    return;
  }
  $("signin-submit").disabled = true;
  try {
    const token = await accounts(BASE, "/accounts/token", {
      grant_type: "password",
      email,
      password,
    });
    saveAuth(token);
    $("signin-password").value = "";
    startWorkspace();
  } catch (err) {
    $("signin-error").textContent =
      err.type === "invalid_grant" ? "Wrong e-mail or password." : explain(err);
  } finally {
    $("signin-submit").disabled = false;
  }
});

$("signout").addEventListener("click", async () => {
  const auth = loadAuth();
  if (rtm) {
    await rtm.request("logout", {}).catch(() => {});
    rtm.stop("signed out");
    rtm = null;
  }
  if (auth) {
    const url = new URL("/accounts/token", BASE);
    url.searchParams.set("token", auth.access_token);
    fetch(url, { method: "DELETE" }).catch(() => {});
  }
  saveAuth(null);
  store.chats.clear();
  ui.selected = null;
  showSignin("You signed out.");
});

async function refreshToken() {
  const auth = loadAuth();
  if (!auth || !auth.refresh_token) return false;
  try {
    const token = await accounts(BASE, "/accounts/token", {
      grant_type: "refresh_token",
      refresh_token: auth.refresh_token,
    });
    saveAuth(token);
    return true;
  } catch {
    return false;
  }
}

// -- the connection ------------------------------------------------------------------

function startWorkspace() {
  $("signin").hidden = true;
  $("workspace").hidden = false;
  render();
  rtm = new RtmClient({
    url: websocketUrl(BASE, "/v3.0/agent/rtm/ws"),
    login: (client) =>
      client.request("login", {
        token: `Bearer ${loadAuth()?.access_token || ""}`,
        reconnect: ui.everReady,
        application: { name: "Chatplane Agent App", version: "1" },
      }),
  });
  rtm.addEventListener("state", (ev) => showConnection(ev.detail));
  rtm.addEventListener("ready", (ev) => onLogin(ev.detail));
  rtm.addEventListener("push", (ev) => onPush(ev.detail.action, ev.detail.payload));
  rtm.addEventListener("login-failed", async (ev) => {
    const err = ev.detail;
    if (err.type === "authentication") {
      if (await refreshToken()) return; // the client reconnects with the new token
      rtm.stop("session expired");
      rtm = null;
      saveAuth(null);
      showSignin("Your session has expired. Sign in again.");
    }
  });
  rtm.addEventListener("disconnected", (ev) => {
    const reason = ev.detail.reason;
    if (["agent_logged_out_remotely", "access_token_revoked", "agent_deleted"].includes(reason)) {
      rtm.stop(reason);
      rtm = null;
      saveAuth(null);
      showSignin(`You were signed out (${reason.replaceAll("_", " ")}).`);
    }
  });
  rtm.start();
}

function showConnection({ state, delay }) {
  const node = $("connection");
  node.dataset.state = state;
  node.textContent =
    state === "ready"
      ? "Connected"
      : state === "waiting"
        ? `Offline — reconnecting in ${Math.ceil((delay || 0) / 1000)} s`
        : state === "connecting"
          ? "Connecting…"
          : "Disconnected";
}

async function onLogin(payload) {
  const reconnect = ui.everReady;
  ui.everReady = true;
  store.me = payload.my_profile;
  $("me").textContent = displayName(store.me);
  showRouting(store.me.routing_status, true);
  const seen = new Set();
  for (const summary of payload.chats_summary || []) {
    store.chat(summary.id).applySummary(summary);
    seen.add(summary.id);
  }
  // A chat I was in that login no longer lists was closed or taken from me meanwhile.
  for (const chat of store.chats.values()) {
    if (!seen.has(chat.id) && store.isMine(chat) && chat.active) chat.loaded = false;
  }
  await refreshQueue();
  if (reconnect) {
    toast("Reconnected.");
    // A resumed session got what it missed as pushes, right after the login; only a
    // session the server could not resume re-reads its chats.
    if (!payload.resumed) await fillIn();
  }
  render();
}

async function refreshQueue() {
  try {
    const res = await call("get_filtered_chats", { filters: { include_active: true } });
    for (const summary of res.chats_summary || []) {
      const chat = store.chat(summary.id);
      chat.applySummary(summary);
    }
  } catch (err) {
    toast(`The queue could not be loaded: ${explain(err)}`, "error");
  }
}

/** After a reconnect: fetch what happened in the chats we show while we were away. */
async function fillIn() {
  const wanted = [...store.chats.values()].filter(
    (c) => c.id === ui.selected || c.loaded || store.isMine(c),
  );
  await Promise.all(wanted.map((c) => loadChat(c, { force: true })));
}

async function loadChat(chat, { force = false } = {}) {
  if (chat.loaded && !force) return;
  const wasActive = chat.active ? chat.lastThreadId : null;
  try {
    const res = await call("get_chat_threads", { chat_id: chat.id });
    chat.applyChatThreads(res.chat);
    if (wasActive && wasActive !== chat.lastThreadId) {
      const older = await call("get_chat_threads", { chat_id: chat.id, thread_ids: [wasActive] });
      chat.applyChatThreads(older.chat);
    }
  } catch (err) {
    toast(`Chat ${chat.id} could not be loaded: ${explain(err)}`, "error");
  }
}

// -- pushes --------------------------------------------------------------------------

function onPush(action, p) {
  const chat = p.chat_id ? store.chat(p.chat_id) : null;
  switch (action) {
    case "incoming_chat_thread": {
      const c = store.chat(p.chat.id);
      c.applyChatWithThread(p.chat);
      // Routing may give the new thread to an agent right after (chat_user_added): say
      // where the chat ended up once that had time to arrive.
      setTimeout(() => {
        if (store.isMine(c) && c.id !== ui.selected) toast(`New chat from ${c.customerName()}.`);
        else if (store.isQueued(c)) toast(`New chat from ${c.customerName()} in the queue.`);
      }, 1000);
      break;
    }
    case "incoming_event":
    case "event_updated": {
      const added = chat.addEvent(p.thread_id, p.event);
      if (added && p.event.author_id && p.event.author_id === chat.sneakPeek?.author_id) {
        chat.sneakPeek = null;
      }
      if (added && p.event.author_id === chat.typing?.author_id) chat.typing = null;
      if (added && p.event.author_id !== store.me?.id && chat.id !== ui.selected) chat.unread += 1;
      if (!chat.users.length || (!chat.loaded && chat.id === ui.selected)) {
        // A chat this app has not seen yet, or an open one with a gap: fetch it whole.
        loadChat(chat, { force: true }).then(render);
      }
      if (chat.id === ui.selected) markSeenSoon(chat);
      break;
    }
    case "thread_closed": {
      chat.thread(p.thread_id, { active: false });
      chat.typing = null;
      chat.sneakPeek = null;
      break;
    }
    case "chat_user_added": {
      const others = chat.users.filter((u) => u.id !== p.user.id);
      chat.users = [...others, { ...p.user, present: p.user.present ?? true }];
      if (p.user.id === store.me?.id) {
        if (!chat.loaded) loadChat(chat).then(render);
        // The chat I just took moves from the queue to my chats: follow it there.
        if (chat.id === ui.selected && ui.tab === "queue") selectTab("mine");
      }
      break;
    }
    case "chat_user_removed": {
      const user = chat.user(p.user_id);
      if (user) user.present = false;
      if (p.user_id === store.me?.id && chat.id === ui.selected) toast("You left this chat.");
      break;
    }
    case "chat_transferred": {
      const to = (p.ids || []).join(", ");
      toast(`Chat transferred to ${p.type} ${to}.`);
      loadChat(chat, { force: true }).then(render);
      break;
    }
    case "incoming_typing_indicator": {
      const t = p.typing_indicator || {};
      chat.typing = t.is_typing === false ? null : { author_id: t.author_id, until: Date.now() + TYPING_SHOWN_MS };
      setTimeout(render, TYPING_SHOWN_MS + 50);
      break;
    }
    case "incoming_sneak_peek": {
      const s = p.sneak_peek || {};
      chat.sneakPeek = s.text ? { author_id: s.author_id, text: s.text, until: Date.now() + 15000 } : null;
      break;
    }
    case "last_seen_timestamp_updated": {
      const user = chat.user(p.user_id);
      if (user) user.last_seen_timestamp = p.timestamp;
      break;
    }
    case "chat_properties_updated":
      mergeProperties(chat.properties, p.properties);
      break;
    case "chat_properties_deleted":
      deleteProperties(chat.properties, p.properties);
      break;
    case "chat_thread_properties_updated":
      mergeProperties(chat.thread(p.thread_id).properties, p.properties);
      break;
    case "agent_updated":
      if (p.agent_id === store.me?.id && p.routing_status) showRouting(p.routing_status, true);
      break;
    default:
      return;
  }
  render();
}

function mergeProperties(target, incoming) {
  for (const [ns, names] of Object.entries(incoming || {})) {
    target[ns] = { ...(target[ns] || {}), ...names };
  }
}

function deleteProperties(target, deleted) {
  for (const [ns, names] of Object.entries(deleted || {})) {
    for (const name of names) if (target[ns]) delete target[ns][name];
  }
}

// -- routing status ------------------------------------------------------------------

/** Show a routing status; `confirmed` when the server said so (login, agent_updated). */
function showRouting(status, confirmed = false) {
  const on = status === "accepting_chats";
  $("routing").setAttribute("aria-checked", String(on));
  if (confirmed) $("routing").dataset.confirmed = String(on);
  $("routing-label").textContent = on ? "Accepting chats" : "Not accepting chats";
  if (store.me) store.me.routing_status = status;
}

$("routing").addEventListener("click", async () => {
  const before = store.me?.routing_status || "not_accepting_chats";
  const next = before === "accepting_chats" ? "not_accepting_chats" : "accepting_chats";
  showRouting(next);
  try {
    await call("update_agent", { routing_status: next });
  } catch (err) {
    showRouting(before);
    toast(`Could not change your routing status: ${explain(err)}`, "error");
  }
});

// -- lists ---------------------------------------------------------------------------

const TABS = ["mine", "queue", "archives"];

function selectTab(name, focus = false) {
  ui.tab = name;
  for (const t of TABS) {
    const tab = $(`tab-${t}`);
    tab.setAttribute("aria-selected", String(t === name));
    tab.tabIndex = t === name ? 0 : -1;
    $(`panel-${t}`).hidden = t !== name;
  }
  if (focus) $(`tab-${name}`).focus();
  if (name === "queue" && rtm?.state === "ready") refreshQueue().then(render);
  if (name === "archives" && ui.archives.length === 0) searchArchives("");
}

for (const t of TABS) {
  $(`tab-${t}`).addEventListener("click", () => selectTab(t));
  $(`tab-${t}`).addEventListener("keydown", (ev) => {
    const i = TABS.indexOf(t);
    if (ev.key === "ArrowRight") selectTab(TABS[(i + 1) % TABS.length], true);
    else if (ev.key === "ArrowLeft") selectTab(TABS[(i + TABS.length - 1) % TABS.length], true);
    else return;
    ev.preventDefault();
  });
}

function preview(event) {
  if (!event) return "";
  if (event.type === "file") return `File: ${event.name || "file"}`;
  if (event.type === "filled_form") return "Pre-chat form";
  return event.text || event.type;
}

function chatItem(chat, { archived = false, thread = null } = {}) {
  const selected = archived
    ? ui.archive && ui.archive.thread.id === thread.id
    : chat.id === ui.selected && !ui.archive;
  const last = archived ? thread.events[thread.events.length - 1] : chat.lastEvent;
  const when = archived ? thread.timestamp : last?.timestamp;
  const name = chat.customerName ? chat.customerName() : archivedName(chat, thread);
  const badge = !archived && chat.unread ? el("span", { class: "unread", "aria-label": `${chat.unread} unread` }, chat.unread) : null;
  const state = !archived && !chat.active ? el("span", { class: "pill" }, "closed") : null;
  const button = el(
    "button",
    {
      type: "button",
      class: "chat-item",
      "aria-current": selected ? "true" : null,
      "data-chat-id": chat.id,
      "data-thread-id": thread ? thread.id : null,
      onclick: () => (archived ? openArchive(chat, thread) : openChat(chat.id)),
    },
    el("span", { class: "chat-item-top" }, el("strong", {}, name), state, badge),
    el("span", { class: "chat-item-preview" }, preview(last)),
    el("span", { class: "chat-item-time muted" }, formatTime(when)),
  );
  return el("li", {}, button);
}

/** An archived chat's customer name, with the pre-chat form's as a fallback. */
function archivedName(chat, thread) {
  const c = chat.users.find((u) => u.type === "customer");
  if (c && c.name) return c.name;
  for (const e of thread.events || []) {
    if (e.type !== "filled_form") continue;
    const f = (e.fields || []).find((x) => x.type === "name" && x.answer);
    if (f) return String(f.answer);
  }
  return displayName(c);
}

function renderLists() {
  // The lists are drawn anew; a keyboard user's focus stays on the same chat.
  const focused = document.activeElement?.closest?.(".chat-item");
  const focusKey = focused ? [focused.dataset.chatId, focused.dataset.threadId] : null;
  const mine = store.mine();
  const queue = store.queue();
  $("list-mine").replaceChildren(...mine.map((c) => chatItem(c)));
  $("list-queue").replaceChildren(...queue.map((c) => chatItem(c)));
  $("count-mine").textContent = String(mine.filter((c) => c.active).length);
  $("count-queue").textContent = String(queue.length);
  $("empty-mine").hidden = mine.length > 0;
  $("empty-queue").hidden = queue.length > 0;
  $("list-archives").replaceChildren(
    ...ui.archives.map(({ chat }) => chatItem(chat, { archived: true, thread: chat.thread })),
  );
  if (focusKey) {
    const again = [...document.querySelectorAll(".chat-item")].find(
      (b) => b.dataset.chatId === focusKey[0] && b.dataset.threadId === focusKey[1],
    );
    if (again) again.focus();
  }
  const unread = mine.reduce((n, c) => n + c.unread, 0) + queue.length;
  document.title = unread ? `(${unread}) Chatplane Agent App` : "Chatplane Agent App";
}

// -- archives ------------------------------------------------------------------------

async function searchArchives(query) {
  $("empty-archives").textContent = "Searching…";
  try {
    const filters = query ? { query } : {};
    const res = await call("get_archives", { filters, pagination: { page: 1, limit: 25 } });
    ui.archives = res.chats || [];
    $("empty-archives").textContent = ui.archives.length
      ? `${res.pagination?.total ?? ui.archives.length} found`
      : "Nothing found.";
  } catch (err) {
    $("empty-archives").textContent = `Search failed: ${explain(err)}`;
  }
  render();
}

$("archive-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  searchArchives($("archive-query").value.trim());
});

function openArchive(chat, thread) {
  ui.archive = { chat, thread };
  ui.selected = null;
  document.body.classList.add("show-chat");
  render();
  $("conversation").focus();
}

// -- the conversation ----------------------------------------------------------------

async function openChat(id) {
  ui.selected = id;
  ui.archive = null;
  const chat = store.chat(id);
  chat.unread = 0;
  document.body.classList.add("show-chat");
  render();
  await loadChat(chat);
  render();
  markSeenSoon(chat);
  if (store.isMine(chat) && chat.active) $("compose-text").focus();
  else $("conversation").focus();
}

$("back").addEventListener("click", () => {
  document.body.classList.remove("show-chat");
  const id = ui.selected;
  ui.selected = null;
  ui.archive = null;
  render();
  const item = id && document.querySelector(`.chat-item[data-chat-id="${CSS.escape(id)}"]`);
  if (item) item.focus();
});

function markSeenSoon(chat) {
  clearTimeout(ui.seenTimer);
  ui.seenTimer = setTimeout(() => {
    if (ui.selected !== chat.id || !store.isMine(chat) || document.hidden) return;
    call("update_last_seen_timestamp", { chat_id: chat.id }).catch(() => {});
  }, 800);
}

function authorName(chat, event) {
  if (event.type === "system_message") return "";
  if (event.author_id === store.me?.id) return "You";
  const user = chat.users.find((u) => u.id === event.author_id);
  if (user?.type === "customer" && chat.customerName) return chat.customerName();
  return displayName(user || { id: event.author_id, type: "agent" });
}

function eventItem(chat, event) {
  const own = event.author_id && event.author_id === store.me?.id;
  const fromCustomer = chat.users.find((u) => u.id === event.author_id)?.type === "customer";
  const classes = ["event", `event-${event.type}`];
  if (own) classes.push("own");
  else if (fromCustomer) classes.push("customer");
  else if (event.type !== "system_message") classes.push("agent");
  if (event.recipients === "agents") classes.push("internal");
  return el(
    "li",
    { class: classes.join(" "), "data-event-id": event.id, "data-type": event.type },
    event.type === "system_message"
      ? null
      : el(
          "span",
          { class: "event-meta" },
          el("span", { class: "author" }, authorName(chat, event)),
          event.recipients === "agents" ? el("span", { class: "pill" }, "agents only") : null,
          el("time", { class: "muted" }, formatTime(event.timestamp)),
        ),
    eventBody(event),
  );
}

function propertiesList(properties) {
  const rows = [];
  for (const [ns, names] of Object.entries(properties || {})) {
    if (ns === "routing") continue;
    for (const [name, wrapped] of Object.entries(names)) {
      const value = wrapped && typeof wrapped === "object" && "value" in wrapped ? wrapped.value : wrapped;
      rows.push([name.replaceAll("_", " "), String(value)]);
    }
  }
  return rows;
}

function renderDetails(chat, thread) {
  const customer = chat.users.find((u) => u.type === "customer");
  const parts = [];
  if (customer?.email) parts.push(el("span", {}, customer.email));
  const agents = chat.users.filter((u) => u.type === "agent" && u.present !== false);
  if (agents.length) parts.push(el("span", {}, "Agents: ", agents.map(displayName).join(", ")));
  const props = propertiesList(chat.properties).concat(propertiesList(thread?.properties));
  const details = $("chat-details");
  details.replaceChildren(
    ...parts,
    ...(props.length
      ? [
          el(
            "dl",
            { class: "props", "aria-label": "Chat properties" },
            props.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]),
          ),
        ]
      : []),
  );
}

function renderConversation() {
  const chatView = $("chat-view");
  const archived = ui.archive;
  const chat = archived ? null : ui.selected ? store.chat(ui.selected) : null;
  if (!chat && !archived) {
    chatView.hidden = true;
    $("no-chat").hidden = false;
    return;
  }
  chatView.hidden = false;
  $("no-chat").hidden = true;
  const source = archived ? archived.chat : chat;
  $("chat-title").textContent = archived ? archivedName(source, archived.thread) : chat.customerName();

  const list = $("events");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const items = [];
  if (archived) {
    $("chat-sub").textContent = `Archived thread · ${formatTime(archived.thread.timestamp)}`;
    renderDetails(source, archived.thread);
    for (const e of archived.thread.events || []) items.push(eventItem(source, e));
    $("take").hidden = true;
    $("transfer").hidden = true;
    $("close-thread").hidden = true;
    $("composer").hidden = true;
    $("earlier").hidden = true;
    $("typing").textContent = "";
  } else {
    const mine = store.isMine(chat);
    $("chat-sub").textContent = chat.active
      ? mine
        ? "Active — you are in this chat"
        : chat.presentAgents().length
          ? "Active"
          : canAdd()
            ? "Waiting in the queue"
            : "Waiting in the queue — reply to take it"
      : "Closed";
    renderDetails(chat, chat.lastThread);
    const threads = chat.sortedThreads();
    threads.forEach((t, i) => {
      if (i > 0 || chat.previousThreadId()) {
        items.push(el("li", { class: "thread-sep", role: "separator" }, `Thread started ${formatTime(t.timestamp)}`));
      }
      for (const e of t.events) items.push(eventItem(chat, e));
    });
    $("earlier").hidden = !chat.previousThreadId();
    $("take").hidden = mine || !chat.active || !canAdd();
    $("transfer").hidden = !chat.active;
    $("close-thread").hidden = !chat.active || !(mine || chat.presentAgents().length === 0);
    $("composer").hidden = false;
    const who = (id) => (chat.user(id)?.type === "agent" ? displayName(chat.user(id)) : chat.customerName());
    const typing = chat.typing && chat.typing.until > Date.now() ? `${who(chat.typing.author_id)} is typing…` : "";
    const peek = chat.sneakPeek && chat.sneakPeek.until > Date.now() ? `${who(chat.sneakPeek.author_id)} is typing: “${chat.sneakPeek.text}”` : "";
    $("typing").textContent = peek || typing;
    $("send").textContent = chat.active ? "Send" : "Send (starts a new thread)";
  }
  list.replaceChildren(...items);
  if (atBottom || list.dataset.chat !== (archived ? archived.thread.id : chat.id)) {
    list.scrollTop = list.scrollHeight;
  }
  list.dataset.chat = archived ? archived.thread.id : chat.id;
}

/** Whether I may add users to chats I only have access to (chats--access:rw). */
function canAdd() {
  return ["owner", "administrator"].includes(store.me?.permission);
}

function render() {
  renderLists();
  renderConversation();
}

$("earlier").addEventListener("click", async () => {
  const chat = ui.selected && store.chat(ui.selected);
  const id = chat && chat.previousThreadId();
  if (!id) return;
  try {
    const res = await call("get_chat_threads", { chat_id: chat.id, thread_ids: [id] });
    chat.applyChatThreads(res.chat);
  } catch (err) {
    toast(explain(err), "error");
  }
  render();
});

$("take").addEventListener("click", async () => {
  const chat = store.chat(ui.selected);
  try {
    await call("add_user_to_chat", { chat_id: chat.id, user_id: store.me.id, user_type: "agent" });
    await loadChat(chat, { force: true });
    selectTab("mine");
    render();
    $("compose-text").focus();
  } catch (err) {
    if (err.type === "authorization") {
      // Without chats--access:rw an agent joins a chat by writing to it.
      toast("Reply to take this chat: your first message adds you to it.");
      $("compose-text").focus();
    } else {
      toast(`Could not take the chat: ${explain(err)}`, "error");
    }
  }
});

$("close-thread").addEventListener("click", async () => {
  const chat = store.chat(ui.selected);
  try {
    await call("close_thread", { chat_id: chat.id });
  } catch (err) {
    toast(`Could not close the thread: ${explain(err)}`, "error");
  }
});

// -- composing -----------------------------------------------------------------------

async function send() {
  const chat = ui.selected && store.chat(ui.selected);
  const text = $("compose-text").value.trim();
  if (!chat || !text) return;
  const kind = $("compose-kind").value;
  const event =
    kind === "annotation"
      ? { type: "annotation", annotation_type: "note", text }
      : { type: "message", text, recipients: kind === "agents" ? "agents" : "all" };
  $("send").disabled = true;
  try {
    stopTyping(chat);
    let res;
    if (chat.active || kind === "annotation") {
      res = await write("send_event", { chat_id: chat.id, event });
      chat.addEvent(res.thread_id, res.event);
    } else {
      res = await call("activate_chat", { chat: { id: chat.id, thread: { events: [event] } } });
      chat.applyChatThreads(res.chat);
    }
    $("compose-text").value = "";
    render();
  } catch (err) {
    toast(`Not sent: ${explain(err)}`, "error");
  } finally {
    $("send").disabled = false;
    $("compose-text").focus();
  }
}

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  send();
});

$("compose-text").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    send();
  }
});

function typingAllowed(chat) {
  return chat && chat.active && store.isMine(chat);
}

$("compose-text").addEventListener("input", () => {
  const chat = ui.selected && store.chat(ui.selected);
  if (!typingAllowed(chat) || $("compose-kind").value !== "message") return;
  const now = Date.now();
  if (now - ui.typingSentAt > 3000) {
    ui.typingSentAt = now;
    call("send_typing_indicator", { chat_id: chat.id, recipients: "all", is_typing: true }).catch(
      (err) => console.warn("send_typing_indicator", err),
    );
  }
  clearTimeout(ui.typingStop);
  ui.typingStop = setTimeout(() => stopTyping(chat), 4000);
});

function stopTyping(chat) {
  clearTimeout(ui.typingStop);
  if (!ui.typingSentAt || !typingAllowed(chat)) return;
  ui.typingSentAt = 0;
  call("send_typing_indicator", { chat_id: chat.id, recipients: "all", is_typing: false }).catch(() => {});
}

$("attach").addEventListener("change", async () => {
  const input = $("attach");
  const file = input.files && input.files[0];
  const chat = ui.selected && store.chat(ui.selected);
  input.value = "";
  if (!file || !chat) return;
  try {
    await sendFile(BASE, "agent", { chatId: chat.id, file, token: loadAuth()?.access_token });
    toast(`Sent ${file.name}.`);
  } catch (err) {
    toast(`The file was not sent: ${explain(err)}`, "error");
  }
});

// -- transfer ------------------------------------------------------------------------

$("transfer").addEventListener("click", () => {
  $("transfer-error").textContent = "";
  $("transfer-dialog").showModal();
  $("transfer-ids").focus();
});

$("transfer-form").addEventListener("submit", async (ev) => {
  if (ev.submitter?.value !== "transfer") return;
  ev.preventDefault();
  const chat = store.chat(ui.selected);
  const type = new FormData($("transfer-form")).get("target-type");
  const raw = $("transfer-ids").value.split(",").map((s) => s.trim()).filter(Boolean);
  const payload = { chat_id: chat.id, force: $("transfer-force").checked };
  if (raw.length) {
    const ids = type === "group" ? raw.map(Number) : raw;
    if (ids.some((x) => typeof x === "number" && !Number.isInteger(x))) {
      $("transfer-error").textContent = "Group ids are whole numbers.";
      return;
    }
    payload.target = { type, ids };
  }
  try {
    await call("transfer_chat", payload);
    $("transfer-dialog").close();
    toast("Chat transferred.");
  } catch (err) {
    $("transfer-error").textContent = `Transfer failed: ${explain(err)}`;
  }
});

// -- start ---------------------------------------------------------------------------

setInterval(() => {
  // Typing indicators and sneak peeks fade out by themselves.
  const chat = ui.selected && store.chats.get(ui.selected);
  if (chat && (chat.typing || chat.sneakPeek)) renderConversation();
}, 2000);

setInterval(() => {
  // Agents outside a queued chat hear of its first thread only (not of it being taken or
  // closed by someone else): look at the queue again now and then.
  if (rtm?.state === "ready" && !document.hidden) refreshQueue().then(render);
}, 30000);

document.addEventListener("visibilitychange", () => {
  const chat = ui.selected && store.chats.get(ui.selected);
  if (!document.hidden && chat) markSeenSoon(chat);
});

if (loadAuth()) startWorkspace();
else showSignin();
