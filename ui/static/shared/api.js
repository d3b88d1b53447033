// Talking to the presso API: JSON requests, the error contract, server time
// and Server-Sent Events. See docs/api.md.

/** ApiError carries the API's {error:{code,message,field,retryAt}}. */
export class ApiError extends Error {
  constructor(status, code, message, field, retryAt) {
    super(message || code);
    this.status = status;   // HTTP status; 0 when the network failed
    this.code = code;       // e.g. "sold_out", "network"
    this.field = field || '';
    this.retryAt = retryAt ? new Date(retryAt) : null;
  }
}

// Estimated server clock minus ours, in ms, so countdowns to server deadlines
// are right even when the phone's clock is not. Date headers have 1 s
// resolution, so small offsets are noise and ignored.
let clockOffset = 0;

/** serverNow is the current time on the server's clock, in ms. */
export function serverNow() { return Date.now() + clockOffset; }

function learnClock(res, sentAt) {
  const date = Date.parse(res.headers.get('Date') || '');
  if (Number.isNaN(date)) return;
  const mid = (sentAt + Date.now()) / 2;
  const offset = date + 500 - mid; // the header truncates to the second
  clockOffset = Math.abs(offset) > 1500 ? offset : 0;
}

/**
 * api sends a JSON request and returns the parsed answer (null for 204).
 * It throws ApiError for any non-2xx answer and for network failures.
 */
export async function api(method, url, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const sentAt = Date.now();
  let res;
  try {
    res = await fetch(url, opts);
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  learnClock(res, sentAt);
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { /* not JSON: handled below */ }
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.field, e.retryAt);
  }
  return data;
}

export const get = (url) => api('GET', url);
export const post = (url, body) => api('POST', url, body ?? {});
export const put = (url, body) => api('PUT', url, body);
export const patch = (url, body) => api('PATCH', url, body);
export const del = (url) => api('DELETE', url);

/** enc escapes a path segment. */
export const enc = encodeURIComponent;

/**
 * stream follows an SSE channel. Every message is {type, detail}; a
 * "snapshot" replaces the client's state (it comes first on a fresh
 * connection, or when the server cannot resume), anything else is an event
 * to apply on top. EventSource resumes with Last-Event-ID by itself; when the
 * browser gives up (the server answered with an error, e.g. after sign-out),
 * we open a new connection after a pause, which starts with a snapshot.
 *
 * handlers: onSnapshot(detail), onEvent(type, detail),
 *           onStatus('open'|'reconnecting'), onGiveUp() (optional; return
 *           false to stop retrying, e.g. when the session is gone).
 * Returns {close()}.
 */
export function stream(url, handlers) {
  let es = null;
  let timer = 0;
  let closed = false;
  let delay = 1000;

  function open() {
    es?.close(); // at most one connection, however open() was reached
    es = new EventSource(url, { withCredentials: true });
    es.onopen = () => { delay = 1000; handlers.onStatus?.('open'); };
    es.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (!msg || typeof msg.type !== 'string') return;
      if (msg.type === 'snapshot') handlers.onSnapshot?.(msg.detail || {});
      else handlers.onEvent?.(msg.type, msg.detail || {});
    };
    es.onerror = async () => {
      if (closed) return;
      handlers.onStatus?.('reconnecting');
      if (es.readyState !== EventSource.CLOSED) return; // the browser retries
      es = null;
      const again = handlers.onGiveUp ? await handlers.onGiveUp() : true;
      if (again === false || closed) return;
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  open();
  // A page kept in the back/forward cache would keep its stream open, and
  // browsers allow only six connections per server: a few navigations and
  // the next request hangs. Close it on the way out; a page restored from
  // the cache reconnects, and the snapshot brings it up to date.
  addEventListener('pagehide', () => {
    clearTimeout(timer);
    es?.close();
    es = null;
  });
  addEventListener('pageshow', (ev) => {
    if (ev.persisted && !closed && !es) open();
  });
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      es?.close();
    },
  };
}

/**
 * CALLED is the event a barista's "Call again" sends for a ready order
 * (POST /api/orders/{id}/call): the order's phone and the Display react to
 * it. Its detail is an order event's, with calledAt.
 */
export const CALLED = 'OrderManager.OrderCalled';

/** isActive reports whether an order can still change. */
export const isActive = (o) => o && (o.state === 'waiting' || o.state === 'queued' || o.state === 'making');

/** ms parses an API time, or returns NaN for null. */
export const ms = (t) => (t ? Date.parse(t) : NaN);

/**
 * newer reports whether next may replace prev. Events and API answers can
 * cross (an action's answer arriving after a later event): an order that
 * has ended never comes back to life.
 */
export function newer(prev, next) {
  return !prev || isActive(prev) || !isActive(next);
}
