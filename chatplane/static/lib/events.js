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
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
  clip: "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.7-5.7L5.8 11.4a6 6 0 0 0 8.5 8.5l6.4-6.4",
};

/** A decorative line icon (hidden from assistive technology: label its control instead). */
export function icon(name, size = 20) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("fill", name === "chat" ? "currentColor" : "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", name === "chat" ? "0" : "2");
  svg.setAttribute("stroke-linecap", "round");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
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
  return el("div", { class: "file" }, thumb, el("span", { class: "file-name" }, icon("clip", 16), " ", link, size));
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
