// The chat widget: a button and a chat window on the customer's side of the Customer Chat API.
import { el, eventBody, formatTime, icon, mergeEvent } from "../lib/events.js";
import { RtmClient, websocketUrl } from "../lib/rtm.js";
import { accounts, sendFile } from "../lib/web.js";

const BUILTIN_FORM = {
  id: "chatplane-builtin-prechat",
  fields: [
    { id: "header", type: "header", label: "Hi! Tell us who you are and how we can help." },
    { id: "name", type: "name", label: "Your name", required: false },
    { id: "email", type: "email", label: "E-mail", required: false },
    { id: "question", type: "textarea", label: "How can we help?", required: true },
  ],
};

export function mount(config) {
  const widget = new Widget(config);
  widget.boot();
  return widget;
}

class Widget {
  constructor(config) {
    this.config = config;
    this.storageKey = `chatplane.widget.${config.licenseId}`;
    this.token = null; // {access_token, expires_at, client_id, entity_id}
    this.chat = null; // {id, active, threadId, events, properties, users}
    this.view = "loading"; // loading | prechat | chat
    this.form = null;
    this.pendingForm = null; // a filled_form waiting for the first message (no question field)
    this.unread = 0;
    this.sneakTimer = null;
    this.sneakSent = "";
    this.typing = null;
    this.everReady = false;
    this.buildDom();
  }

  // -- DOM ---------------------------------------------------------------------------

  buildDom() {
    this.host = el("div", { id: "chatplane-widget", "data-state": "loading" });
    const root = this.host.attachShadow({ mode: "open" });
    this.root = root;
    root.append(el("link", { rel: "stylesheet", href: new URL("widget.css", this.config.assets).href }));
    this.launcher = el(
      "button",
      {
        type: "button",
        class: "launcher",
        "aria-expanded": "false",
        "aria-controls": "cp-window",
        onclick: () => this.toggle(),
      },
      icon("chat", 22),
      el("span", { class: "launcher-label" }, this.config.title),
      (this.badge = el("span", { class: "badge", hidden: true })),
    );
    this.status = el("p", { class: "status", id: "cp-status" }, "Connecting…");
    this.messages = el("ol", { class: "messages", role: "log", "aria-label": "Messages" });
    this.typingLine = el("p", { class: "typing", "aria-live": "polite" });
    this.notice = el("p", { class: "notice", role: "status" });
    this.prechat = el("form", { class: "prechat", hidden: true, novalidate: true });
    this.prechat.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submitPrechat();
    });
    this.rating = el("section", { class: "rating", hidden: true, "aria-labelledby": "cp-rate-title" });
    this.text = el("textarea", {
      id: "cp-text",
      rows: "2",
      placeholder: "Write a message…",
      oninput: () => this.onInput(),
      onkeydown: (ev) => {
        if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
          ev.preventDefault();
          this.sendMessage();
        }
      },
    });
    this.fileInput = el("input", {
      type: "file",
      id: "cp-file",
      class: "visually-hidden",
      onchange: () => this.uploadFile(),
    });
    this.attach = el(
      "label",
      { class: "attach", hidden: true, title: "Attach a file" },
      icon("clip", 20),
      el("span", { class: "visually-hidden" }, "Attach a file"),
      this.fileInput,
    );
    this.sendButton = el("button", { type: "submit", class: "send" }, "Send");
    this.composer = el(
      "form",
      { class: "composer", hidden: true },
      el("label", { for: "cp-text", class: "visually-hidden" }, "Message"),
      this.text,
      this.attach,
      this.sendButton,
    );
    this.composer.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.sendMessage();
    });
    this.endButton = el(
      "button",
      { type: "button", class: "end", hidden: true, onclick: () => this.endChat() },
      "End chat",
    );
    this.window = el(
      "section",
      {
        id: "cp-window",
        class: "window",
        role: "dialog",
        "aria-modal": "false",
        "aria-labelledby": "cp-title",
        "aria-describedby": "cp-status",
        hidden: true,
        onkeydown: (ev) => {
          if (ev.key === "Escape") {
            this.close();
            this.launcher.focus();
          }
        },
      },
      el(
        "header",
        { class: "head" },
        el("div", {}, el("h2", { id: "cp-title" }, this.config.title), this.status),
        this.endButton,
        el(
          "button",
          {
            type: "button",
            class: "minimize",
            "aria-label": "Minimize the chat",
            onclick: () => {
              this.close();
              this.launcher.focus();
            },
          },
          "✕",
        ),
      ),
      el("div", { class: "body" }, this.prechat, this.messages, this.typingLine, this.rating, this.notice),
      this.composer,
    );
    root.append(this.launcher, this.window);
    document.body.append(this.host);
  }

  toggle() {
    if (this.window.hidden) this.open();
    else this.close();
  }

  open() {
    this.window.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.host.dataset.open = "true";
    this.unread = 0;
    this.renderBadge();
    this.scrollDown();
    const first = this.view === "prechat" ? this.prechat.querySelector("input, textarea, select") : this.text;
    if (first && !first.closest("[hidden]")) first.focus();
    this.markSeen();
  }

  close() {
    this.window.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.host.dataset.open = "false";
  }

  say(message, kind = "info") {
    this.notice.textContent = message;
    this.notice.dataset.kind = kind;
  }

  renderBadge() {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = String(this.unread);
    this.badge.setAttribute("aria-label", `${this.unread} new messages`);
  }

  scrollDown() {
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  // -- connection --------------------------------------------------------------------

  async boot() {
    this.rtm = new RtmClient({
      url: websocketUrl(this.config.base, `/v3.0/customer/rtm/ws?license_id=${this.config.licenseId}`),
      login: async (client) => {
        const token = await this.getToken();
        const payload = {
          token: `Bearer ${token.access_token}`,
          customer_page: { url: location.href, title: document.title },
        };
        if (document.referrer) payload.referrer = document.referrer;
        if (this.config.groupId != null) payload.group_id = this.config.groupId;
        const saved = this.savedCustomer();
        if (saved) payload.customer = saved;
        return client.request("login", payload);
      },
    });
    this.rtm.addEventListener("state", (ev) => this.onState(ev.detail));
    this.rtm.addEventListener("ready", (ev) => this.onReady(ev.detail.resumed));
    this.rtm.addEventListener("push", (ev) => this.onPush(ev.detail.action, ev.detail.payload));
    this.rtm.addEventListener("login-failed", (ev) => {
      if (ev.detail.type === "authentication") this.forgetToken();
      this.say(`Could not connect: ${ev.detail.message}`, "error");
    });
    this.rtm.start();
  }

  loadStored() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) || "{}");
    } catch {
      return {};
    }
  }

  store(patch) {
    const next = { ...this.loadStored(), ...patch };
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(next));
    } catch {
      // storage may be unavailable (private mode); the cookie still brings the customer back
    }
  }

  savedCustomer() {
    const c = this.loadStored().customer;
    return c && (c.name || c.email) ? c : null;
  }

  forgetToken() {
    this.token = null;
    this.store({ token: null });
  }

  async getToken() {
    const now = Date.now();
    const cached = this.token || this.loadStored().token;
    if (cached && cached.expires_at > now + 60000) {
      this.token = cached;
      return cached;
    }
    // The cookie set by the accounts service brings the same customer back.
    const issued = await accounts(
      this.config.base,
      "/accounts/customer/token",
      { license_id: this.config.licenseId },
      { credentials: "include" },
    );
    this.token = {
      access_token: issued.access_token,
      client_id: issued.client_id,
      entity_id: issued.entity_id,
      expires_at: now + issued.expires_in * 1000,
    };
    this.store({ token: this.token });
    return this.token;
  }

  onState({ state, delay }) {
    this.host.dataset.state = state;
    if (state === "waiting") {
      this.status.textContent = `Reconnecting in ${Math.ceil((delay || 0) / 1000)} s…`;
    } else if (state === "connecting") {
      this.status.textContent = "Connecting…";
    } else if (state === "ready") {
      this.renderStatus();
    }
  }

  renderStatus() {
    const agents = (this.chat?.users || []).filter((u) => u.type === "agent" && u.present !== false);
    if (this.rtm.state !== "ready") return;
    if (!this.chat && this.pendingForm) {
      this.status.textContent = "Write your question to start the chat";
    } else if (this.chat?.active && agents.length) {
      this.status.textContent = `You are chatting with ${agents.map((a) => a.name || "an agent").join(", ")}`;
    } else if (this.chat?.active) {
      this.status.textContent = "An agent will be with you shortly";
    } else {
      this.status.textContent = "We typically reply in a few minutes";
    }
  }

  async onReady(resumed = false) {
    const reconnect = this.everReady;
    this.everReady = true;
    this.host.dataset.ready = "true";
    // Resumed after a reconnect: what was missed came as pushes (docs/resume.md).
    if (reconnect && resumed && this.chat) {
      this.say("");
      return;
    }
    try {
      const summary = await this.rtm.request("get_chats_summary", { limit: 1 });
      const last = (summary.chats_summary || [])[0];
      if (last) {
        await this.loadChat(last);
        this.showChat();
      } else if (!this.chat && !this.pendingForm) {
        await this.showPrechat();
      }
      if (reconnect) this.say("");
    } catch (err) {
      this.say(`Could not load your chat: ${err.message}`, "error");
    }
  }

  async loadChat(summary) {
    const threadId = summary.last_thread_id;
    const res = threadId
      ? await this.rtm.request("get_chat_threads", { chat_id: summary.id, thread_ids: [threadId] })
      : { chat: { id: summary.id, users: summary.users, properties: summary.properties, threads: [] } };
    const chat = this.chat && this.chat.id === summary.id ? this.chat : { id: summary.id, events: [] };
    chat.users = res.chat.users || summary.users || [];
    chat.properties = res.chat.properties || summary.properties || {};
    const thread = (res.chat.threads || [])[0];
    if (thread) {
      if (chat.threadId !== thread.id) chat.events = [];
      chat.threadId = thread.id;
      chat.active = thread.active;
      for (const e of thread.events || []) mergeEvent(chat.events, e);
    } else {
      chat.active = Boolean(summary.active);
    }
    this.chat = chat;
  }

  // -- pre-chat form -----------------------------------------------------------------

  async showPrechat() {
    this.view = "prechat";
    this.form = BUILTIN_FORM;
    try {
      const res = await this.rtm.request("get_form", { group_id: this.config.groupId ?? 0, type: "prechat" });
      if (!res.enabled) {
        // No pre-chat form: the first message starts the chat.
        this.pendingForm = { events: [], group: this.config.groupId };
        this.showChat();
        return;
      }
      if (res.form && (res.form.fields || []).length) this.form = res.form;
    } catch (err) {
      console.warn("get_form failed; using the built-in form", err);
    }
    this.renderPrechat();
    this.render();
  }

  renderPrechat() {
    const saved = this.savedCustomer() || {};
    const fields = [];
    for (const field of this.form.fields || []) {
      const id = `cp-f-${field.id}`;
      const required = Boolean(field.required);
      const label = (text) =>
        el("label", { for: id }, text || field.type, required ? el("span", { "aria-hidden": "true" }, " *") : null);
      switch (field.type) {
        case "header":
        case "title":
        case "information":
          fields.push(el("p", { class: "form-header" }, field.label || ""));
          break;
        case "name":
        case "email":
        case "question":
          fields.push(
            el(
              "div",
              { class: "field" },
              label(field.label),
              el("input", {
                id,
                name: field.id,
                type: field.type === "email" ? "email" : "text",
                autocomplete: field.type === "name" ? "name" : field.type === "email" ? "email" : "off",
                required,
                value: field.type === "name" ? saved.name || "" : field.type === "email" ? saved.email || "" : "",
              }),
            ),
          );
          break;
        case "textarea":
          fields.push(
            el("div", { class: "field" }, label(field.label), el("textarea", { id, name: field.id, rows: "3", required })),
          );
          break;
        case "select":
          fields.push(
            el(
              "div",
              { class: "field" },
              label(field.label),
              el(
                "select",
                { id, name: field.id, required },
                el("option", { value: "" }, "Choose…"),
                (field.options || []).map((o, i) => el("option", { value: String(i) }, o.label)),
              ),
            ),
          );
          break;
        case "radio":
        case "checkbox":
        case "group_chooser":
          fields.push(
            el(
              "fieldset",
              { class: "field choices" },
              el("legend", {}, field.label || "", required ? " *" : ""),
              (field.options || []).map((o, i) =>
                el(
                  "label",
                  { class: "choice" },
                  el("input", {
                    type: field.type === "checkbox" ? "checkbox" : "radio",
                    name: field.id,
                    value: String(i),
                    checked: o.checked || false,
                  }),
                  " ",
                  o.label,
                ),
              ),
            ),
          );
          break;
        default:
          break; // rating and unknown types are not part of a pre-chat form
      }
    }
    this.prechatError = el("p", { class: "error", role: "alert" });
    this.prechat.replaceChildren(
      ...fields,
      this.prechatError,
      el("button", { type: "submit", class: "primary" }, "Start the chat"),
    );
  }

  /** The filled_form event's fields, or an error message. */
  collectForm() {
    const data = new FormData(this.prechat);
    const fields = [];
    let groupId = null;
    for (const field of this.form.fields || []) {
      const base = { type: field.type, id: field.id, label: field.label || field.type };
      const options = field.options || [];
      if (["name", "email", "question", "textarea"].includes(field.type)) {
        const answer = String(data.get(field.id) || "").trim();
        if (field.required && !answer) return { error: `Please fill in “${base.label}”.` };
        if (field.type === "email" && answer && !/^[^@\s]+@[^@\s]+$/.test(answer)) {
          return { error: "Please enter a valid e-mail address." };
        }
        fields.push({ ...base, answer });
      } else if (field.type === "radio" || field.type === "select" || field.type === "group_chooser") {
        const picked = data.get(field.id);
        if (picked == null || picked === "") {
          if (field.required) return { error: `Please choose “${base.label}”.` };
          continue;
        }
        const option = options[Number(picked)];
        if (field.type === "group_chooser") {
          groupId = option.group_id;
          fields.push({ ...base, answer: { group_id: option.group_id, label: option.label } });
        } else {
          fields.push({ ...base, answer: { id: option.id, label: option.label } });
        }
      } else if (field.type === "checkbox") {
        const picked = data.getAll(field.id).map((i) => options[Number(i)]);
        if (field.required && picked.length === 0) return { error: `Please choose “${base.label}”.` };
        fields.push({ ...base, answers: picked.map((o) => ({ id: o.id, label: o.label })) });
      }
    }
    return { fields, groupId };
  }

  async submitPrechat() {
    const { fields, groupId, error } = this.collectForm();
    if (error) {
      this.prechatError.textContent = error;
      return;
    }
    this.prechatError.textContent = "";
    const answer = (type) => fields.find((f) => f.type === type)?.answer || "";
    const customer = { name: answer("name"), email: answer("email") };
    if (customer.name || customer.email) this.store({ customer });
    const events = [{ type: "filled_form", form_id: this.form.id, fields }];
    // A question in the form is the chat's first message; without one, the chat starts
    // with the first message the customer writes after the form.
    const question = answer("question") || answer("textarea");
    const group = groupId ?? this.config.groupId;
    const button = this.prechat.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      if (customer.name || customer.email) {
        const update = Object.fromEntries(Object.entries(customer).filter(([, v]) => v));
        await this.rtm.request("update_customer", update).catch((err) => console.warn("update_customer", err));
      }
      if (question) {
        await this.startChat(events, question, group);
      } else {
        this.pendingForm = { events, group };
        this.showChat();
      }
      this.text.focus();
    } catch (err) {
      this.prechatError.textContent = `The chat could not start: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  }

  /** start_chat with the form's events and the first message. */
  async startChat(formEvents, text, group) {
    const chat = { thread: { events: [...formEvents, { type: "message", text }] } };
    if (group != null) chat.access = { group_ids: [group] };
    const res = await this.rtm.write("start_chat", { chat });
    this.pendingForm = null;
    this.chat = this.chat && this.chat.id === res.chat.id ? this.chat : { id: res.chat.id, events: [] };
    this.applyThread(res.chat.thread, res.chat);
    this.showChat();
  }

  applyThread(thread, chat) {
    this.chat.users = chat.users || this.chat.users || [];
    this.chat.properties = chat.properties || this.chat.properties || {};
    if (this.chat.threadId !== thread.id) this.chat.events = [];
    this.chat.threadId = thread.id;
    this.chat.active = thread.active;
    for (const e of thread.events || []) mergeEvent(this.chat.events, e);
  }

  // -- the chat ----------------------------------------------------------------------

  showChat() {
    this.view = "chat";
    this.render();
    this.markSeen();
  }

  render() {
    const chatting = this.view === "chat";
    this.host.dataset.view = this.view;
    this.prechat.hidden = this.view !== "prechat";
    this.messages.hidden = !chatting;
    this.composer.hidden = !chatting;
    this.endButton.hidden = !(chatting && this.chat?.active);
    this.typingLine.hidden = !chatting;
    this.attach.hidden = !(chatting && this.chat);
    if (chatting && !this.chat) {
      this.messages.replaceChildren(el("li", { class: "hint" }, "Write your question below: it starts the chat."));
      this.text.placeholder = "Write your question…";
    } else if (chatting) {
      const events = (this.chat?.events || []).filter((e) => e.type !== "filled_form");
      this.messages.replaceChildren(...events.map((e) => this.eventItem(e)));
      if (!this.chat.active) {
        this.messages.append(el("li", { class: "ended" }, "The chat has ended. Write below to start a new one."));
      }
      this.scrollDown();
      this.text.placeholder = this.chat.active ? "Write a message…" : "Write to start a new chat…";
    }
    const typing = this.typing && this.typing.until > Date.now();
    this.typingLine.textContent = typing ? `${this.agentName(this.typing.author_id)} is typing…` : "";
    this.renderRating();
    this.renderStatus();
  }

  agentName(id) {
    const user = (this.chat?.users || []).find((u) => u.id === id);
    return (user && user.name) || "Agent";
  }

  eventItem(event) {
    const mine = event.author_id && event.author_id === this.token?.entity_id;
    const kind = event.type === "system_message" ? "system" : mine ? "own" : "agent";
    return el(
      "li",
      { class: `msg ${kind}`, "data-event-id": event.id, "data-type": event.type },
      kind === "agent"
        ? el("span", { class: "who" }, this.agentName(event.author_id), " · ", el("time", {}, formatTime(event.timestamp)))
        : null,
      eventBody(event),
    );
  }

  onPush(action, p) {
    const ours = this.chat && p.chat_id === this.chat.id;
    switch (action) {
      case "incoming_chat_thread":
        if (!this.chat || this.chat.id === p.chat.id) {
          this.chat = this.chat || { id: p.chat.id, events: [] };
          this.applyThread(p.chat.thread, p.chat);
          this.showChat();
        }
        break;
      case "incoming_event":
      case "event_updated":
        if (!ours) return;
        if (p.thread_id !== this.chat.threadId) {
          this.chat.threadId = p.thread_id;
          this.chat.events = [];
          this.chat.active = true;
        }
        if (mergeEvent(this.chat.events, p.event) && p.event.author_id !== this.token?.entity_id) {
          if (this.typing && this.typing.author_id === p.event.author_id) this.typing = null;
          if (this.window.hidden && p.event.type !== "system_message") {
            this.unread += 1;
            this.renderBadge();
          }
          this.markSeen();
        }
        break;
      case "thread_closed":
        if (!ours) return;
        this.chat.active = false;
        this.typing = null;
        break;
      case "chat_user_added":
        if (!ours) return;
        this.chat.users = [...this.chat.users.filter((u) => u.id !== p.user.id), { ...p.user, present: true }];
        break;
      case "chat_user_removed":
        if (!ours) return;
        for (const u of this.chat.users) if (u.id === p.user_id) u.present = false;
        break;
      case "incoming_typing_indicator": {
        if (!ours) return;
        const t = p.typing_indicator || {};
        this.typing = t.is_typing === false ? null : { author_id: t.author_id, until: Date.now() + 6000 };
        setTimeout(() => this.render(), 6100);
        break;
      }
      case "chat_properties_updated":
        if (!ours) return;
        for (const [ns, names] of Object.entries(p.properties || {})) {
          this.chat.properties[ns] = { ...(this.chat.properties[ns] || {}), ...names };
        }
        break;
      case "customer_disconnected":
        this.say(`Disconnected (${String(p.reason || "").replaceAll("_", " ")}).`, "error");
        return;
      default:
        return;
    }
    this.render();
  }

  markSeen() {
    if (!this.chat || this.window.hidden || this.rtm?.state !== "ready") return;
    clearTimeout(this.seenTimer);
    this.seenTimer = setTimeout(() => {
      this.rtm.request("update_last_seen_timestamp", { chat_id: this.chat.id }).catch(() => {});
    }, 500);
  }

  async sendMessage() {
    const text = this.text.value.trim();
    if (!text || (!this.chat && !this.pendingForm)) return;
    this.sendButton.disabled = true;
    clearTimeout(this.sneakTimer);
    this.sneakTimer = null;
    try {
      const event = { type: "message", text };
      if (!this.chat) {
        await this.startChat(this.pendingForm.events, text, this.pendingForm.group);
      } else if (this.chat.active) {
        const res = await this.rtm.write("send_event", { chat_id: this.chat.id, event });
        if (res.thread_id !== this.chat.threadId) {
          this.chat.threadId = res.thread_id;
          this.chat.events = [];
          this.chat.active = true;
        }
        mergeEvent(this.chat.events, res.event);
      } else {
        const res = await this.rtm.write("activate_chat", {
          chat: { id: this.chat.id, thread: { events: [event] } },
        });
        this.applyThread(res.chat.threads[res.chat.threads.length - 1], res.chat);
      }
      this.text.value = "";
      this.sneakSent = "";
      this.say("");
      this.render();
    } catch (err) {
      this.say(`Not sent: ${err.message}`, "error");
    } finally {
      this.sendButton.disabled = false;
      this.text.focus();
    }
  }

  onInput() {
    // Sneak peeks go out at most every 700 ms while the customer types, the last text last.
    if (!this.chat?.active || this.sneakTimer) return;
    this.sneakTimer = setTimeout(() => {
      this.sneakTimer = null;
      const text = this.text.value.trim();
      if (!text || text === this.sneakSent || this.rtm.state !== "ready") return;
      this.sneakSent = text;
      this.rtm
        .request("send_sneak_peek", { chat_id: this.chat.id, sneak_peek_text: text.slice(0, 2000) })
        .catch((err) => console.warn("send_sneak_peek", err));
    }, 700);
  }

  async uploadFile() {
    const file = this.fileInput.files && this.fileInput.files[0];
    this.fileInput.value = "";
    if (!file || !this.chat) return;
    if (file.size > 10 * 1024 * 1024) {
      this.say("Files can be at most 10 MB.", "error");
      return;
    }
    this.say(`Sending ${file.name}…`);
    try {
      const token = await this.getToken();
      await sendFile(this.config.base, "customer", {
        chatId: this.chat.id,
        file,
        token: token.access_token,
        licenseId: this.config.licenseId,
      });
      this.say(`Sent ${file.name}.`);
    } catch (err) {
      this.say(`The file was not sent: ${err.message}`, "error");
    }
  }

  async endChat() {
    if (!this.chat?.active) return;
    try {
      await this.rtm.request("close_thread", { chat_id: this.chat.id });
      this.chat.active = false;
      this.render();
      const first = this.rating.querySelector("input");
      if (first && !this.rating.hidden) first.focus();
    } catch (err) {
      this.say(`Could not end the chat: ${err.message}`, "error");
    }
  }

  // -- rating (chat properties, as about-apis.md's example) ---------------------------

  ratingNamespace() {
    return this.token?.client_id || null;
  }

  currentRating() {
    const ns = this.ratingNamespace();
    const props = (ns && this.chat?.properties?.[ns]) || {};
    const score = props.rating_score;
    return score == null ? null : (typeof score === "object" ? score.value : score);
  }

  renderRating() {
    const show =
      this.view === "chat" && this.chat && !this.chat.active && this.ratingNamespace();
    this.rating.hidden = !show;
    if (!show) return;
    const rated = this.currentRating();
    if (rated != null) {
      if (this.rating.dataset.rated !== String(rated)) {
        this.rating.dataset.rated = String(rated);
        this.rating.replaceChildren(
          el("h3", { id: "cp-rate-title" }, "Thank you!"),
          el("p", { class: "rated" }, `You rated this chat ${rated} out of 5.`),
        );
      }
      return;
    }
    if (this.rating.dataset.rated === "no") return; // keep what the customer is typing
    this.rating.dataset.rated = "no";
    const stars = el(
      "fieldset",
      { class: "stars" },
      el("legend", {}, "Your rating"),
      [1, 2, 3, 4, 5].map((n) =>
        el(
          "label",
          { class: "star" },
          el("input", { type: "radio", name: "rating_score", value: String(n), required: n === 1 }),
          el("span", { "aria-hidden": "true" }, "★"),
          el("span", { class: "visually-hidden" }, `${n} out of 5`),
        ),
      ),
    );
    const error = el("p", { class: "error", role: "alert" });
    const form = el(
      "form",
      { class: "rating-form" },
      stars,
      el("label", { for: "cp-rating-comment" }, "Comment (optional)"),
      el("textarea", { id: "cp-rating-comment", name: "rating_comment", rows: "2" }),
      error,
      el("button", { type: "submit", class: "primary" }, "Send rating"),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const score = Number(data.get("rating_score"));
      if (!score) {
        error.textContent = "Choose from 1 to 5 stars.";
        return;
      }
      const comment = String(data.get("rating_comment") || "").trim();
      const values = { rating_score: score };
      if (comment) values.rating_comment = comment;
      try {
        await this.rtm.request("update_chat_properties", {
          chat_id: this.chat.id,
          properties: { [this.ratingNamespace()]: values },
        });
        const ns = this.ratingNamespace();
        this.chat.properties[ns] = {
          ...(this.chat.properties[ns] || {}),
          rating_score: { value: score },
          ...(comment ? { rating_comment: { value: comment } } : {}),
        };
        this.render();
      } catch (err) {
        error.textContent = `The rating was not saved: ${err.message}`;
      }
    });
    this.rating.replaceChildren(el("h3", { id: "cp-rate-title" }, "How was this chat?"), form);
  }
}
