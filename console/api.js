// The management API, found relative to where the console was served, with
// the key from sessionStorage sent as the Authorization header only.

const KEY_NAME = 'runhooks.apiKey';

/// "/admin/webhooks/console/" -> "/admin/webhooks/": the API is mounted
/// where the console is, whatever the prefix (/, /v1/, an application's).
export function apiBase(pathname) {
  const at = pathname.lastIndexOf('/console/');
  if (at >= 0) return pathname.slice(0, at + 1);
  if (pathname.endsWith('/console')) return pathname.slice(0, -'console'.length);
  return '/';
}

const base = apiBase(window.location.pathname);

export const session = {
  key() { return window.sessionStorage.getItem(KEY_NAME); },
  signIn(key) { window.sessionStorage.setItem(KEY_NAME, key.trim()); },
  signOut() { window.sessionStorage.removeItem(KEY_NAME); },
};

/// An answer other than OK: the HTTP status and the API's own message.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
  /// The field of a hook form the message is about (url, label, headers,
  /// hookEvents), or null: "Invalid request body: url must ..." -> "url".
  get field() {
    const text = this.message.replace(/^Invalid request body: /, '');
    const first = text.split(/[\s']/)[0];
    if (['url', 'label', 'headers', 'hookEvents'].includes(first)) return first;
    if (first === 'header') return 'headers';
    return null;
  }
}

/// Listeners told when the key is refused (401), to go back to sign in.
const refusedListeners = [];
export function onRefused(listener) { refusedListeners.push(listener); }

/// One API call: `path` is relative to the base ("webhooks/ID"); resolves
/// to the envelope ({status, data, nextCursor}) or rejects with ApiError.
export async function call(method, path, body) {
  const headers = {Accept: 'application/json', Authorization: 'Bearer ' + (session.key() || '')};
  const init = {method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(base + path, init);
  } catch (error) {
    throw new ApiError(0, 'The server could not be reached (' + error.message + ')');
  }
  let doc = null;
  try { doc = await response.json(); } catch { doc = null; }
  if (response.status === 401) refusedListeners.forEach((listener) => listener());
  if (!response.ok || !doc || doc.status !== 'OK') {
    throw new ApiError(response.status, (doc && doc.error) || 'HTTP ' + response.status);
  }
  return doc;
}

export const get = (path) => call('GET', path).then((doc) => doc.data);
export const id = encodeURIComponent;
