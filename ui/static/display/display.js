// The Display: the big screen above the bar. It shows the rotating QR code
// (or why there is none), the orders being made and the orders ready for
// pickup. Everything comes from the board stream's snapshot and events; the
// QR code comes from its own endpoint and is re-fetched when its window ends.

import { get, del, enc, stream, serverNow, ms } from '/static/shared/api.js';
import { h, mmss, eventId, announcer, connection, syncList } from '/static/shared/dom.js';
import { staffGate } from '/static/shared/staff.js';
import { Chime, soundToggle } from '/static/shared/chime.js';
import { s } from '/static/display/strings.js';

const READY_FOR = 10 * 60 * 1000; // a Ready entry stays 10 min after completion, or until collected
const BLACKOUT = 15 * 1000;       // no QR in a window's last 15 s: it would expire mid-scan
const FRESH_FOR = 20 * 1000;      // how long a newly ready order is highlighted
const MAX_MADE = 8;               // what fits the column at 1080p
const MAX_READY = 6;
const RING = 2 * Math.PI * 45;    // circumference of the r=45 ring

const $ = (id) => document.getElementById(id);
const event = eventId();
const say = announcer($('live'));
const chime = new Chime();

const state = {
  bar: null,
  orders: new Map(),  // id → order, only the ones the screen may show
  fresh: new Map(),   // id → time its highlight ends
  qr: null,           // {code, windowStart, windowEnd, remaining, …}
  qrBusy: false,
  qrNextTry: 0,
  qrFailed: false,
};

main();

async function main() {
  await staffGate($('signin'), event, ['admin', 'display', 'barista'], s);
  $('screen').hidden = false;
  $('scan-hint').textContent = s.scanToOrder;
  $('made-title').textContent = s.beingMade;
  $('ready-title').textContent = s.ready;
  $('qr-title').textContent = s.scanToOrder;
  $('closed-sign').textContent = s.closed;
  $('closed-title').textContent = s.closedTitle;
  $('closed-text').textContent = s.closedText;
  $('wait-title').textContent = s.making;
  $('qr-img').alt = s.qrAlt;
  $('signout').textContent = s.signOut;
  $('signout').addEventListener('click', async () => {
    try { await del('/api/session'); } finally { location.reload(); }
  });
  soundToggle($('sound'), chime, { name: s.sound, on: s.soundOn, off: s.soundOff });

  stream(`/api/events/${enc(event)}/stream`, {
    onSnapshot,
    onEvent,
    onStatus: connection($('conn'), s.reconnecting),
    onGiveUp: async () => {
      // The server refused the stream: most likely the session is gone.
      try { await get('/api/me'); return true; } catch (e) {
        if (e.status === 401 || e.status === 403) { location.reload(); return false; }
        return true;
      }
    },
  });
  setInterval(tick, 1000);
}

function onSnapshot(d) {
  // A snapshot replaces everything, so after a reconnect the screen is
  // exactly what a fresh load would show.
  state.bar = d.bar || state.bar;
  state.orders = new Map();
  for (const o of d.orders || []) keep(o);
  state.qr = null; // remaining may have changed while we were away
  state.qrNextTry = 0;
  renderBar();
  renderOrders();
  tick();
}

function onEvent(type, d) {
  if (type === 'ConfigService.ConfigChanged' && d.bar) {
    state.bar = d.bar;
    renderBar();
    tick();
    return;
  }
  if (type === 'Validator.NewOrder') {
    // 0 is a real value: the code is sold out (the original ignored it).
    // A resumed stream may replay redemptions of an older code: skip those.
    const sameWindow = !d.windowEnd || ms(d.windowEnd) === ms(state.qr?.windowEnd);
    if (state.qr && typeof d.remaining === 'number' && sameWindow) {
      state.qr.remaining = d.remaining;
      renderQR();
    }
  }
  const o = d.order;
  if (!o || !o.id) return;
  const before = state.orders.get(o.id);
  keep(o);
  if (o.state === 'completed' && before?.state !== 'completed' && o.number) {
    state.fresh.set(o.id, Date.now() + FRESH_FOR);
    say(s.readyAnnounce(o.number, o.drink?.name || ''));
    chime.play();
  }
  renderOrders();
}

/** keep stores an order the screen shows and forgets any other. */
function keep(o) {
  const show = o.number > 0 && o.drink && (o.state === 'queued' || o.state === 'making' ||
    (o.state === 'completed' && !o.collectedAt && serverNow() - ms(o.finishedAt) < READY_FOR));
  if (show) state.orders.set(o.id, o);
  else state.orders.delete(o.id);
}

function renderBar() {
  const bar = state.bar;
  if (!bar) return;
  document.title = s.title(bar.name);
  $('bar-name').textContent = bar.name;
  const pill = $('bar-state');
  pill.textContent = bar.open ? s.open : s.closed;
  pill.className = `pill ${bar.open ? 'pill-open' : 'pill-closed'}`;
  $('scan-hint').hidden = !bar.open;
}

function tick() {
  const now = serverNow();
  // Ready entries expire; drop them (and expired highlights) as time passes.
  let changed = false;
  for (const o of state.orders.values()) {
    if (o.state === 'completed' && now - ms(o.finishedAt) >= READY_FOR) {
      state.orders.delete(o.id);
      changed = true;
    }
  }
  for (const [id, until] of state.fresh) {
    if (Date.now() >= until) { state.fresh.delete(id); changed = true; }
  }
  if (changed) renderOrders();

  const open = state.bar?.open;
  const q = state.qr;
  if (open && !state.qrBusy && Date.now() >= state.qrNextTry && (!q || now >= ms(q.windowEnd))) loadQR();
  renderQR();
}

async function loadQR() {
  state.qrBusy = true;
  // At most one try a second, even if the server's window looks over to us.
  state.qrNextTry = Date.now() + 1000;
  try {
    state.qr = await get(`/api/events/${enc(event)}/qr`);
    state.qrFailed = false;
  } catch (e) {
    if (e.status === 401) { location.reload(); return; }
    state.qrFailed = true;
    state.qrNextTry = Date.now() + 5000;
  } finally {
    state.qrBusy = false;
  }
  renderQR();
}

function renderQR() {
  const bar = state.bar;
  const q = state.qr;
  const now = serverNow();
  const panels = { active: $('qr-active'), wait: $('qr-wait'), closed: $('qr-closed') };
  let which = null;
  if (bar && !bar.open) which = 'closed';
  else if (q) {
    const left = ms(q.windowEnd) - now;
    which = left <= BLACKOUT || q.remaining <= 0 ? 'wait' : 'active';
    const frac = Math.max(0, Math.min(1, left / (ms(q.windowEnd) - ms(q.windowStart))));
    if (which === 'active') {
      const img = $('qr-img');
      const src = `/api/events/${enc(event)}/qr.svg?v=${enc(q.code)}`;
      if (img.getAttribute('src') !== src) img.src = src;
      $('qr-left').textContent = s.drinksLeft(q.remaining);
      $('qr-time').textContent = s.codeTimeLeft(mmss(left));
      setRing($('ring'), frac, left);
    } else {
      $('wait-next').textContent = s.nextCode(mmss(left));
      $('wait-hint').textContent = q.remaining <= 0 ? s.soldOutHint : s.rotateHint;
      // The big ring counts the wait down to the next code.
      const wait = q.remaining <= 0 ? ms(q.windowEnd) - ms(q.windowStart) : BLACKOUT;
      setRing($('wait-ring'), Math.max(0, Math.min(1, left / wait)), left);
    }
  }
  for (const [k, el] of Object.entries(panels)) el.hidden = k !== which;
  const err = $('qr-error');
  err.hidden = !(state.qrFailed && which !== 'closed');
  err.textContent = err.hidden ? '' : s.qrError;
}

function setRing(circle, frac, left) {
  circle.setAttribute('stroke-dasharray', RING.toFixed(1));
  circle.setAttribute('stroke-dashoffset', (RING * (1 - frac)).toFixed(1));
  circle.classList.toggle('ring-low', left <= 60 * 1000);
}

function renderOrders() {
  const all = [...state.orders.values()];
  const made = all.filter((o) => o.state === 'queued' || o.state === 'making')
    .sort((a, b) => ms(a.submittedAt) - ms(b.submittedAt) || a.number - b.number); // queued order, not number: numbers may restart daily
  const ready = all.filter((o) => o.state === 'completed').sort((a, b) => ms(b.finishedAt) - ms(a.finishedAt));
  fill('made', made, MAX_MADE, s.nothingMade);
  fill('ready', ready, MAX_READY, s.nothingReady);
}

function fill(id, orders, max, emptyText) {
  const shown = orders.slice(0, max);
  syncList($(id), shown, (o) => o.id, card, update);
  $(`${id}-empty`).textContent = orders.length ? '' : emptyText;
  const more = $(`${id}-more`);
  more.hidden = orders.length <= max;
  more.textContent = s.more(orders.length - max);
}

function card(o) {
  const el = h('li', { class: 'order' },
    h('span', { class: 'num' }),
    h('span', { class: 'what' },
      h('span', { class: 'drink' }),
      h('span', { class: 'who' })),
    h('span', { class: 'tag' }));
  update(el, o);
  return el;
}

function update(el, o) {
  el.querySelector('.num').textContent = o.number;
  el.querySelector('.drink').textContent = o.drink?.name || '';
  el.querySelector('.who').textContent = shortName(o.userName);
  const tag = el.querySelector('.tag');
  tag.textContent = o.state === 'making' ? s.makingNow : o.state === 'queued' ? s.inQueue : '';
  tag.hidden = !tag.textContent;
  el.classList.toggle('is-making', o.state === 'making');
  el.classList.toggle('fresh', state.fresh.has(o.id));
}

/**
 * shortName shows a first name on the public screen; an email address (from
 * code sign-in) would leak, so it is never shown.
 */
function shortName(name) {
  if (!name || name.includes('@')) return '';
  const first = name.trim().split(/\s+/)[0];
  return first.length > 14 ? `${first.slice(0, 13)}…` : first;
}
