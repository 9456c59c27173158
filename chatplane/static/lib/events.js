// Rendering of the spec's events as DOM, shared by the Agent App and the widget.
// Everything user-supplied goes in as text (textContent), never as HTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function formatTime(ts) {
  if (!ts) return "";
  const date = new Date(ts * 1000);
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return sameDay ? time : `${date.toLocaleDateString()} ${time}`;
}

/** A safe http(s) URL or null (no javascript: links from event payloads). */
export function safeUrl(raw, base = location.href) {
  if (!raw) return null;
  try {
    const url = new URL(raw, base);
    return url.protocol === "http:" || url.protocol === "https:" ? url.toString() : null;
  } catch {
    return null;
  }
}

function answerText(field) {
  if (field.answer != null) {
    if (typeof field.answer === "object") return field.answer.label ?? JSON.stringify(field.answer);
    return String(field.answer);
  }
  if (Array.isArray(field.answers)) return field.answers.map((a) => a.label ?? a.id).join(", ");
  if (field.value != null) return String(field.value);
  return "";
}

function fileBody(event) {
  const url = safeUrl(event.url);
  const name = event.name || "file";
  const isImage = /^image\//.test(event.content_type || "") && url;
  const size = event.size ? ` (${Math.max(1, Math.round(event.size / 1024))} KB)` : "";
  const link = url
    ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "file-link" }, name)
    : el("span", {}, name);
  const thumb = isImage
    ? el("img", {
        src: safeUrl(event.thumbnail_url) || url,
        alt: name,
        class: "file-thumb",
        loading: "lazy",
      })
    : null;
  return el("div", { class: "file" }, thumb, el("span", {}, "📎 ", link, size));
}

function richBody(event) {
  return el(
    "div",
    { class: "rich" },
    (event.elements || []).map((element) =>
      el(
        "div",
        { class: "rich-element" },
        element.title ? el("strong", {}, element.title) : null,
        element.subtitle ? el("p", {}, element.subtitle) : null,
        element.buttons
          ? el(
              "ul",
              { class: "rich-buttons" },
              element.buttons.map((b) => el("li", {}, b.text || b.value || b.postback_id || "")),
            )
          : null,
      ),
    ),
  );
}

/**
 * The body of one event (without author or time): text, a form, a file, ...
 */
export function eventBody(event) {
  switch (event.type) {
    case "message":
    case "system_message":
      return el("p", { class: "text" }, event.text || "");
    case "annotation":
      return el(
        "p",
        { class: "text" },
        el("span", { class: "tag" }, event.annotation_type || "annotation"),
        " ",
        event.text || "",
      );
    case "filled_form":
      return el(
        "dl",
        { class: "form-answers" },
        (event.fields || [])
          .filter((f) => !["header", "title", "information"].includes(f.type))
          .map((f) => [el("dt", {}, f.label || f.name || f.type), el("dd", {}, answerText(f) || "—")]),
      );
    case "file":
      return fileBody(event);
    case "rich_message":
      return richBody(event);
    case "custom":
      return el("p", { class: "text" }, "Custom event");
    default:
      return el("p", { class: "text" }, event.text || `(${event.type})`);
  }
}

/** Insert an event into an order-sorted array by `order`, replacing one with its id. */
export function mergeEvent(events, event) {
  const at = events.findIndex((e) => e.id === event.id);
  if (at >= 0) {
    events[at] = event;
    return false;
  }
  let i = events.length;
  while (i > 0 && (events[i - 1].order ?? 0) > (event.order ?? 0)) i -= 1;
  events.splice(i, 0, event);
  return true;
}
