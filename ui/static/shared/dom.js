// Small DOM helpers shared by the apps. No framework: h() builds elements,
// patch() swaps a container's content while keeping keyboard focus.

/**
 * h builds an element. attrs: "class", "text", "on<event>" handlers,
 * boolean attributes (true sets, false/null/undefined skips), "dataset"
 * object; anything else is set as an attribute. Children may be strings,
 * nodes, arrays or null.
 */
export function h(tag, attrs, ...children) {
  const svg = tag === 'svg' || tag === 'circle' || tag === 'path' || tag === 'g';
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/**
 * patch replaces the children of el. Re-rendering a list would otherwise
 * drop focus from the button a keyboard user is on, so the focused element's
 * data-key is remembered and focused again in the new content.
 */
export function patch(el, ...children) {
  const active = document.activeElement;
  const key = active && el.contains(active) ? active.dataset.key : null;
  el.replaceChildren();
  append(el, children);
  if (key) {
    const again = el.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}

/** show reveals exactly one of the given sections (by id) inside root. */
export function showOnly(root, id) {
  for (const s of root.children) s.hidden = s.id !== id;
}

/**
 * announcer returns a function that speaks text through a polite live
 * region. Clearing first makes screen readers repeat identical messages.
 */
export function announcer(region) {
  return (text) => {
    region.textContent = '';
    setTimeout(() => { region.textContent = text; }, 50);
  };
}

/** mmss formats a duration in ms as m:ss (h:mm:ss from an hour), never negative. */
export function mmss(msLeft) {
  const s = Math.max(0, Math.ceil(msLeft / 1000));
  const m = Math.floor(s / 60) % 60, h = Math.floor(s / 3600);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}

/** reducedMotion reports the user's motion preference, live. */
export const reducedMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

/** eventId is the bar id the page was served for. */
export const eventId = () => document.body.dataset.event;

/**
 * connection wires a reconnect indicator: el is shown while the live
 * stream is down. Returns the onStatus handler for stream().
 */
export function connection(el, text) {
  el.setAttribute('role', 'status');
  return (status) => {
    const down = status !== 'open';
    el.hidden = !down;
    el.textContent = down ? text : '';
  };
}

/**
 * toast shows a failure message in an alert until dismissed or replaced
 * (or 12 s pass). Only one toast is shown at a time.
 */
export function toast(text, dismissLabel) {
  document.querySelector('.toast')?.remove();
  const el = h('div', { class: 'toast', role: 'alert' },
    h('span', { text }),
    h('button', { type: 'button', class: 'btn', text: dismissLabel, onclick: () => el.remove() }));
  document.body.append(el);
  setTimeout(() => el.remove(), 12000);
}

/**
 * syncList makes list's children match items, reusing the element of each
 * key so running animations (and focus) survive updates. create(item)
 * builds a new element; update(el, item) refreshes one.
 */
export function syncList(list, items, key, create, update) {
  const old = new Map();
  for (const el of list.children) old.set(el.dataset.id, el);
  items.forEach((item, i) => {
    const k = String(key(item));
    let el = old.get(k);
    if (el) {
      old.delete(k);
      update(el, item);
    } else {
      el = create(item);
      el.dataset.id = k;
    }
    if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
  });
  for (const el of old.values()) el.remove();
}
