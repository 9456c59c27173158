// Web API calls (one HTTP POST per action) and the accounts service.
import { ApiError } from "./rtm.js";

function actionUrl(base, api, action, licenseId) {
  const url = new URL(`/v3.0/${api}/action/${action}`, base);
  if (licenseId != null) url.searchParams.set("license_id", String(licenseId));
  return url;
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  const error = (body && body.error) || {};
  if (typeof error === "string") {
    // The accounts service answers in OAuth's shape.
    return new ApiError(error, body.error_description || error);
  }
  return new ApiError(error.type || `http_${response.status}`, error.message || response.statusText);
}

/** POST one action; resolves with the response payload. */
export async function webAction(base, api, action, payload, { token, licenseId } = {}) {
  const response = await fetch(actionUrl(base, api, action, licenseId), {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ payload }),
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** `send_file`: a multipart upload (payload.chat_id, payload.custom_id, payload.file). */
export async function sendFile(base, api, { chatId, file, customId, token, licenseId }) {
  const form = new FormData();
  form.append("payload.chat_id", chatId);
  form.append("payload.custom_id", customId || `file-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  form.append("payload.file", file, file.name);
  const response = await fetch(actionUrl(base, api, "send_file", licenseId), {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** POST to the accounts service; OAuth errors become ApiErrors. */
export async function accounts(base, path, params, { credentials = "same-origin" } = {}) {
  const response = await fetch(new URL(path, base), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(params),
    credentials,
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}
