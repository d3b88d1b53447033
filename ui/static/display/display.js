// The Display: the big screen above the bar. It shows the rotating QR code
// (or why there is none), the orders being made and the orders ready for
// pickup. Everything comes from the board stream's snapshot and events; the
// QR code comes from its own endpoint and is re-fetched when its window ends.
//
// It is laid out for any TV, from 960×540 to 3840×2160 and in portrait: text
// is sized from the viewport, and each column shows as many orders as fit
// whole, then "+ N more". It speaks the bar's language.

import { get, del, enc, stream, serverNow, ms, CALLED } from '/static/shared/api.js';
import { h, mmss, eventId, announcer, connection, syncList } from '/static/shared/dom.js';
import { staffGate } from '/static/shared/staff.js';
import { Chime, soundToggle } from '/static/shared/chime.js';
import { load, pickLanguage } from '/static/shared/i18n.js';

const READY_FOR = 600;            // seconds a Ready entry stays, unless the bar says (readySeconds)
const BLACKOUT = 15 * 1000;       // no QR in a window's last 15 s: it would expire mid-scan
const FRESH_FOR = 20 * 1000;      // how long a newly ready (or called) order is highlighted
const MAX_SHOWN = 24;             // more than any screen fits; the rest is "+ N more"
const TOOLS_FOR = 30 * 1000;      // the staff tools hide again after this long unused
const RING = 2 * Math.PI * 45;    // circumference of the r=45 ring

const $ = (id) => document.getElementById(id);
const event = eventId();
const say = announcer($('live'));
const chime = new Chime();
// The voice plays the part of a chime for soundToggle.
const voice = {
  enabled: false,
  unlock: () => !!window.speechSynthesis,
  play() { speechSynthesis.speak(Object.assign(new SpeechSynthesisUtterance(s.t('voiceTest')), { lang: s.lang })); },
};

/** s is the bar's language's strings, set before anything is shown. */
let s = null;

const state = {
  bar: null,
  orders: new Map(),  // id → order, only the ones the screen may show
  fresh: new Map(),   // id → time its highlight ends
  called: new Set(),  // ids highlighted because a barista called them again
  qr: null,           // {code, windowStart, windowEnd, remaining, …}
  qrBusy: false,
  qrNextTry: 0,
  qrFailed: false,
  qrShape: '',        // which QR panel shows, to refit when it changes
};

main();

/** readyFor is how long, in ms, a collected-or-not Ready order stays. */
const readyFor = () => (state.bar?.readySeconds || READY_FOR) * 1000;

async function main() {
  // The bar is public: its language decides the screen's, sign-in included.
  try { state.bar = await get(`/api/events/${enc(event)}`); } catch { /* English, then the stream's bar */ }
  s = await load('display', pickLanguage([state.bar?.language], 'en'));
  await staffGate($('signin'), event, ['admin', 'display', 'barista'], s);
  $('screen').hidden = false;
  $('scan-hint').textContent = s.t('scanToOrder');
  $('made-title').textContent = s.t('beingMade');
  $('ready-title').textContent = s.t('ready');
  $('closed-sign').textContent = s.t('closed');
  $('closed-title').textContent = s.t('closedTitle');
  $('closed-text').textContent = s.t('closedText');
  $('qr-img').alt = s.t('qrAlt');
  staffTools();

  stream(`/api/events/${enc(event)}/stream`, {
    onSnapshot,
    onEvent,
    onStatus: connection($('conn'), s.t('reconnecting')),
    onGiveUp: async () => {
      // The server refused the stream: most likely the session is gone.
      try { await get('/api/me'); return true; } catch (e) {
        if (e.status === 401 || e.status === 403) { location.reload(); return false; }
        return true;
      }
    },
  });
  setInterval(tick, 1000);
  // Refit whenever a column changes size: a TV's browser may change its
  // viewport (rotation, zoom), and in portrait the code above the columns
  // takes its height only once it has loaded.
  const refit = new ResizeObserver(() => renderOrders());
  for (const col of document.querySelectorAll('.col-orders')) refit.observe(col);
}

/**
 * staffTools wires the hidden toolbar: a small button in the corner (also
 * reached with Tab) opens chime, voice and sign-out, which hide again after
 * a while so the public screen stays clean.
 */
function staffTools() {
  const toggle = $('staff-toggle'), tools = $('tools');
  $('staff-label').textContent = s.t('staffTools');
  toggle.title = s.t('staffTools');
  let timer = 0;
  const setOpen = (open) => {
    tools.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    clearTimeout(timer);
    if (open) timer = setTimeout(() => { if (!tools.contains(document.activeElement)) setOpen(false); }, TOOLS_FOR);
  };
  toggle.addEventListener('click', () => setOpen(tools.hidden));
  tools.addEventListener('click', () => setOpen(true)); // any use keeps them open a while longer
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !tools.hidden) { setOpen(false); toggle.focus(); } });
  $('signout').textContent = s.t('signOut');
  $('signout').addEventListener('click', async () => {
    try { await del('/api/session'); } finally { location.reload(); }
  });
  const labels = { on: s.t('soundOn'), off: s.t('soundOff') };
  soundToggle($('sound'), chime, { name: s.t('sound'), ...labels });
  // The voice needs a gesture to start, like the chime; the toggle is one.
  soundToggle($('voice'), voice, { name: s.t('voice'), ...labels });
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
    // A new code ("New code now") or a new drinks-per-code limit: the
    // code's endpoint says which, so ask it on every change.
    if (d.bar.open && !d.bar.ended && !state.qrBusy) loadQR();
    renderBar();
    renderOrders();
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
    say(s.t('readyAnnounce', { n: o.number, drink: o.drink?.name || '' }));
    chime.play();
    speak(o);
  }
  if (type === CALLED && state.orders.has(o.id)) {
    // Called again: highlight it afresh, ring and say it.
    state.fresh.set(o.id, Date.now() + FRESH_FOR);
    state.called.add(o.id);
    chime.play();
    speak(o);
  }
  renderOrders();
}

/** speak says "Order 12 for Ann is ready" aloud, where the bar wants it. */
function speak(o) {
  if (!state.bar?.speak || !voice.enabled || !window.speechSynthesis) return;
  const name = shortName(o.userName);
  const u = new SpeechSynthesisUtterance(name ? s.t('speakReady', { n: o.number, name }) : s.t('speakReadyNoName', { n: o.number }));
  u.lang = s.lang;
  speechSynthesis.speak(u);
}

/** keep stores an order the screen shows and forgets any other. */
function keep(o) {
  const show = o.number > 0 && o.drink && (o.state === 'queued' || o.state === 'making' ||
    (o.state === 'completed' && !o.collectedAt && serverNow() - ms(o.finishedAt) < readyFor()));
  if (show) state.orders.set(o.id, o);
  else state.orders.delete(o.id);
}

function renderBar() {
  const bar = state.bar;
  if (!bar) return;
  document.title = s.t('title', { bar: bar.name });
  $('bar-name').textContent = bar.name;
  const pill = $('bar-state');
  pill.textContent = bar.open ? s.t('open') : s.t('closed');
  pill.className = `pill ${bar.open ? 'pill-open' : 'pill-closed'}`;
  $('voice').hidden = !bar.speak;
}

function tick() {
  const now = serverNow();
  // Ready entries expire; drop them (and expired highlights) as time passes.
  let changed = false;
  for (const o of state.orders.values()) {
    if (o.state === 'completed' && now - ms(o.finishedAt) >= readyFor()) {
      state.orders.delete(o.id);
      changed = true;
    }
  }
  for (const [id, until] of state.fresh) {
    if (Date.now() >= until) { state.fresh.delete(id); state.called.delete(id); changed = true; }
  }
  // The wait estimates count down by the minute.
  if (changed || (Math.floor(now / 1000) % 20 === 0 && [...state.orders.values()].some((o) => o.estimatedReadyAt))) renderOrders();

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
      $('qr-left').textContent = s.n('drinksLeft', q.remaining);
      $('qr-time').textContent = s.t('codeTimeLeft', { t: mmss(left) });
      setRing($('ring'), frac, left);
    } else {
      // No code to scan, so nothing here says to scan: only when the next
      // one comes.
      const soldOut = q.remaining <= 0;
      $('wait-title').textContent = soldOut ? s.t('soldOutTitle') : s.t('making');
      $('wait-next').textContent = s.t('nextCode', { t: mmss(left) });
      $('wait-hint').textContent = soldOut ? s.t('soldOutHint') : s.t('rotateHint');
      // The big ring counts the wait down to the next code.
      const wait = soldOut ? ms(q.windowEnd) - ms(q.windowStart) : BLACKOUT;
      setRing($('wait-ring'), Math.max(0, Math.min(1, left / wait)), left);
    }
  }
  for (const [k, el] of Object.entries(panels)) el.hidden = k !== which;
  $('scan-hint').hidden = which !== 'active';
  $('qr-title').textContent = which === 'wait' ? s.t('nextCodeTitle') : which === 'closed' ? s.t('closedTitle') : s.t('codeTitle');
  const err = $('qr-error');
  err.hidden = !(state.qrFailed && which !== 'closed');
  err.textContent = err.hidden ? '' : s.t('qrError');
  // In portrait the code sits above the columns, so showing or swapping
  // its panel (or the error line) resizes them: refit now rather than a
  // frame later, so no frame shows a card cut off.
  const shape = `${which}${err.hidden ? '' : '!'}`;
  if (shape !== state.qrShape) {
    state.qrShape = shape;
    renderOrders();
  }
}

function setRing(circle, frac, left) {
  circle.setAttribute('stroke-dasharray', RING.toFixed(1));
  circle.setAttribute('stroke-dashoffset', (RING * (1 - frac)).toFixed(1));
  circle.classList.toggle('ring-low', left <= 60 * 1000);
}

function renderOrders() {
  if (!s) return;
  const all = [...state.orders.values()];
  const made = all.filter((o) => o.state === 'queued' || o.state === 'making')
    .sort((a, b) => ms(a.submittedAt) - ms(b.submittedAt) || a.number - b.number); // queued order, not number: numbers may restart daily
  const ready = all.filter((o) => o.state === 'completed').sort((a, b) => ms(b.finishedAt) - ms(a.finishedAt));
  fill('made', made, s.t('nothingMade'));
  fill('ready', ready, s.t('nothingReady'));
}

/**
 * fill shows as many of orders as fit their column whole, then "+ N more".
 * Sizes follow the viewport, so the count is measured, not assumed: a card
 * that would be cut off is left out instead.
 */
function fill(id, orders, emptyText) {
  const list = $(id);
  const col = list.closest('.col');
  const more = $(`${id}-more`);
  $(`${id}-empty`).textContent = orders.length ? '' : emptyText;
  let n = Math.min(orders.length, MAX_SHOWN);
  for (;;) {
    syncList(list, orders.slice(0, n), (o) => o.id, card, update);
    more.hidden = orders.length <= n;
    more.textContent = more.hidden ? '' : s.t('more', { n: orders.length - n });
    if (n === 0 || col.scrollHeight <= col.clientHeight) break;
    n--;
  }
}

function card(o) {
  const el = h('li', { class: 'order' },
    h('span', { class: 'num' }),
    h('span', { class: 'what' },
      h('span', { class: 'drink' }),
      h('span', { class: 'meta' },
        h('span', { class: 'who' }),
        h('span', { class: 'mods' }),
        h('span', { class: 'tag' }))));
  update(el, o);
  return el;
}

function update(el, o) {
  el.querySelector('.num').textContent = o.number;
  el.querySelector('.drink').textContent = o.drink?.name || '';
  const who = el.querySelector('.who');
  who.textContent = shortName(o.userName);
  who.hidden = !who.textContent;
  const mods = chosenModifiers(o);
  const box = el.querySelector('.mods');
  if (box.dataset.v !== mods.join('\n')) {
    box.replaceChildren(...mods.map((m) => h('span', { class: 'mod', text: m })));
    box.dataset.v = mods.join('\n');
  }
  box.hidden = !mods.length;
  const tag = el.querySelector('.tag');
  const called = state.called.has(o.id) && o.state === 'completed';
  tag.textContent = (o.state === 'making' ? s.t('makingNow') : o.state === 'queued' ? s.t('inQueue') : called ? s.t('calledNow') : '') + eta(o);
  tag.hidden = !tag.textContent;
  el.classList.toggle('is-making', o.state === 'making');
  el.classList.toggle('fresh', state.fresh.has(o.id));
}

/**
 * chosenModifiers names the options that differ from the drink's default
 * ("Oat"): those are what a customer checks before taking a cup. Without
 * the bar's menu, all of them.
 */
/** eta is " · ~4 min" after a queued or making order's tag, from the server's estimate. */
function eta(o) {
  if (!o.estimatedReadyAt || (o.state !== 'queued' && o.state !== 'making')) return '';
  return ` · ${s.t('etaShort', { n: Math.max(1, Math.ceil((ms(o.estimatedReadyAt) - serverNow()) / 60000)) })}`;
}

function chosenModifiers(o) {
  const item = state.bar?.menu?.find((d) => d.id === o.drink?.id);
  return (o.drink?.modifiers || []).filter((m) => {
    const g = item?.modifiers?.find((x) => x.id === m.group);
    return !g || g.default !== m.option;
  }).map((m) => m.optionName);
}

/**
 * shortName is the name to show the room: what the customer gave, cut at
 * a word near 24 characters. Anything with an @ would be an email address,
 * which the public screen never shows.
 */
function shortName(name) {
  const n = (name || '').trim();
  if (!n || n.includes('@')) return '';
  if (n.length <= 24) return n;
  const cut = n.slice(0, 24);
  const space = cut.lastIndexOf(' ');
  return `${space > 8 ? cut.slice(0, space) : cut.slice(0, 23)}…`;
}
