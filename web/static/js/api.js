// JSON API client: session cookie + CSRF header on state-changing requests, typed errors.

const CSRF_COOKIE = "rtcc_csrf";
const CSRF_HEADER = "X-CSRF-Token";
let csrfToken = null;
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || body?.error || `request failed (${status})`);
    this.status = status;
    this.body = body || {};
  }
  /** Per-field or per-line problems, when the server named them. */
  get problems() {
    return this.body.fields || this.body.errors || [];
  }
}

export function setCsrf(token) { csrfToken = token || null; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

function csrf() {
  if (csrfToken) return csrfToken;
  const m = document.cookie.match(new RegExp(`(?:^|; )${CSRF_COOKIE}=([^;]*)`));
  return m ? decodeURIComponent(m[1]) : "";
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.append(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function parse(res) {
  const type = res.headers.get("content-type") || "";
  if (type.includes("application/json")) return res.json();
  return res.text();
}

export async function request(method, path, { body, params, form, silent401 = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers[CSRF_HEADER] = csrf();
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path + query(params), { method, headers, body: payload, credentials: "same-origin" });
  } catch (err) {
    throw new ApiError(0, { error: "network", detail: "server unreachable" });
  }
  const data = await parse(res).catch(() => null);
  if (res.status === 401 && !silent401) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, typeof data === "object" ? data : { detail: data });
  return data;
}

export const api = {
  get: (path, params, opts = {}) => request("GET", path, { params, ...opts }),
  post: (path, body, opts = {}) => request("POST", path, { body, ...opts }),
  patch: (path, body) => request("PATCH", path, { body }),
  del: (path) => request("DELETE", path),
};

/** Upload a file with progress (fetch has no upload progress; XHR does). */
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader(CSRF_HEADER, csrf());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = { detail: xhr.responseText }; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => reject(new ApiError(0, { detail: "upload failed: server unreachable" }));
    xhr.send(formData);
  });
}

/** Fetch a CSV (or any file) with the session and hand it to the browser as a download. */
export async function download(path, params, filename) {
  const res = await fetch(path + query(params), { credentials: "same-origin" });
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    throw new ApiError(res.status, data);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
