// The Barista board: New → Making → Ready. Orders come from the board
// stream. An action moves its card at once (optimistically) and the server's
// answer, or the next event, decides where it really is; a refused action
// puts the card back and says why.

import { get, post, patch as apiPatch, del, enc, stream, serverNow, ms, newer, isActive } from '/static/shared/api.js';
import { h, patch, eventId, announcer, connection, toast } from '/static/shared/dom.js';
import { staffGate } from '/static/shared/staff.js';
import { confirm } from '/static/shared/dialog.js';
import { Chime, soundToggle } from '/static/shared/chime.js';
import { s } from '/static/barista/strings.js';

const READY_FOR = 60 * 1000; // completed cards stay in Ready for a minute
const AGE_WARN = 2;           // minutes: amber from here
const AGE_LATE = 5;           // minutes: red and "late" from here

const $ = (id) => document.getElementById(id);
const event = eventId();
const say = announcer($('live'));
const chime = new Chime();

let me = null;
let bar = null;
const orders = new Map();  // id → order as the server last told us
const pending = new Map(); // id → the optimistic view while an action runs
let storeBusy = false;
let shownReady = [];       // orders in the Ready lane at the last render

main();

async function main() {
  me = await staffGate($('signin'), event, ['admin', 'barista'], s);
  $('screen').hidden = false;
  $('role').textContent = s.barista;
  $('store-label').textContent = s.barIs;
  $('me').textContent = s.signedInAs(me.name);
  $('signout').textContent = s.signOut;
  $('signout').addEventListener('click', async () => {
    try { await del('/api/session'); } finally { location.reload(); }
  });
  $('store-toggle').addEventListener('click', toggleStore);
  soundToggle($('sound'), chime, { name: s.sound, on: s.soundOn, off: s.soundOff }, true);
  // Baristas touch the tablet all the time; the first touch unlocks audio so
  // the new-order chime works without hunting for a button.
  document.addEventListener('pointerdown', () => chime.unlock(), { once: true });
  document.addEventListener('keydown', () => chime.unlock(), { once: true });

  stream(`/api/events/${enc(event)}/stream`, {
    onSnapshot(d) {
      bar = d.bar || bar;
      orders.clear();
      for (const o of d.orders || []) orders.set(o.id, o);
      renderStore();
      render();
    },
    onEvent,
    onStatus: connection($('conn'), s.reconnecting),
    onGiveUp: async () => {
      try { await get('/api/me'); return true; } catch (e) {
        if (e.status === 401 || e.status === 403) { location.reload(); return false; }
        return true;
      }
    },
  });
  setInterval(tick, 5000);
}

function onEvent(type, d) {
  if (type === 'ConfigService.ConfigChanged' && d.bar) {
    bar = d.bar;
    renderStore();
    return;
  }
  const o = d.order;
  if (!o || !o.id) return;
  upsert(o);
  if (type === 'OrderManager.WaitingCompletion') {
    chime.play();
    say(s.newOrder(o.number, o.drink?.name || ''));
  }
}

function upsert(o) {
  if (!newer(orders.get(o.id), o)) return;
  if (o.state === 'cancelled' || o.state === 'timed_out') orders.delete(o.id);
  else orders.set(o.id, o);
  render();
}

/** view is what the board shows for an order: its optimistic state, if any. */
const view = (o) => pending.get(o.id) || o;

function render() {
  const now = serverNow();
  const all = [...orders.values()].map(view).filter((o) => o.number > 0);
  // In the order they were queued: a bar that numbers by day starts at 1 again.
  const byNumber = (a, b) => ms(a.submittedAt) - ms(b.submittedAt) || a.number - b.number;
  const fresh = all.filter((o) => o.state === 'queued').sort(byNumber);
  const making = all.filter((o) => o.state === 'making')
    .sort((a, b) => (b.baristaId === me.id) - (a.baristaId === me.id) || byNumber(a, b));
  const ready = all.filter((o) => o.state === 'completed' && !o.collectedAt && now - (ms(o.finishedAt) || now) < READY_FOR)
    .sort((a, b) => ms(b.finishedAt) - ms(a.finishedAt));
  lane('new', s.colNew, fresh, s.emptyNew);
  lane('making', s.colMaking, making, s.emptyMaking);
  lane('ready', s.colReady, ready, s.emptyReady);
  shownReady = ready;
}

function lane(id, title, list, empty) {
  $(`${id}-title`).textContent = `${title} (${list.length})`;
  patch($(id), list.length ? list.map(card) : h('li', { class: 'empty', text: empty }));
}

function card(o) {
  const busy = pending.has(o.id);
  const mine = o.baristaId === me.id;
  const mods = (o.drink?.modifiers || []).map((m) => m.optionName).join(' · ');
  let who = o.userName ? s.forName(o.userName) : '';
  if (o.state === 'making') who = mine ? s.mine : s.madeBy(o.baristaName || '?');
  const btn = (action, cls) => h('button', {
    type: 'button', class: `btn ${cls}`, text: s[action], disabled: busy,
    dataset: { key: `${o.id}:${action}` },
    onclick: () => act(o.id, action),
  });
  let actions = [];
  if (o.state === 'queued') actions = [btn('cancel', 'btn-danger-outline'), btn('make', 'btn-primary')];
  if (o.state === 'making') actions = [btn('cancel', 'btn-danger-outline'), btn('unmake', ''), btn('complete', 'btn-primary')];
  if (o.state === 'completed') actions = [btn('collect', '')];
  const titleId = `card-${o.id}`;
  return h('li', {
    class: `card-order${o.state === 'making' && !mine ? ' not-mine' : ''}`,
    'aria-labelledby': titleId, 'aria-busy': busy ? 'true' : null,
    dataset: { since: o.state === 'completed' ? '' : (o.submittedAt || o.createdAt), done: o.finishedAt || '' },
  },
  h('div', { class: 'card-head' },
    h('h3', { id: titleId, class: 'num', 'aria-label': s.cardLabel(o.number, o.drink?.name || '') },
      `#${o.number}`),
    ageBadge(o)),
  h('p', { class: 'drink', 'aria-hidden': 'true', text: o.drink?.name || '' }),
  mods ? h('p', { class: 'mods', text: mods }) : null,
  who ? h('p', { class: `who${mine && o.state === 'making' ? ' who-mine' : ''}`, text: who }) : null,
  actions.length ? h('div', { class: 'actions' }, actions) : null);
}

function ageBadge(o) {
  const el = h('span', { class: 'age' });
  paintAge(el, o.state === 'completed' ? '' : (o.submittedAt || o.createdAt), o.finishedAt);
  return el;
}

/** paintAge writes an age as text and colour, never colour alone. */
function paintAge(el, since, done) {
  const now = serverNow();
  if (!since) {
    const sec = Math.max(0, Math.round((now - ms(done)) / 1000));
    el.textContent = s.readyAgo(sec);
    el.className = 'age age-ready';
    el.removeAttribute('aria-label');
    return;
  }
  const min = Math.max(0, Math.floor((now - ms(since)) / 60000));
  const level = min < AGE_WARN ? 'ok' : min < AGE_LATE ? 'warn' : 'late';
  el.textContent = level === 'late' ? `${s.age(min)} · ${s.late}` : s.age(min);
  el.className = `age age-${level}`;
  el.setAttribute('aria-label', s.ageLabel(min));
}

function tick() {
  // Ready cards leave after a minute; everything else just ages in place,
  // so the board is not rebuilt under the barista's finger.
  const now = serverNow();
  const expired = shownReady.some((o) => now - ms(o.finishedAt) >= READY_FOR);
  for (const o of [...orders.values()]) {
    if (!isActive(o) && now - ms(o.finishedAt) >= 10 * 60 * 1000) orders.delete(o.id); // nothing shows them any more
  }
  if (expired) { render(); return; }
  for (const li of document.querySelectorAll('.card-order')) {
    const age = li.querySelector('.age');
    if (age) paintAge(age, li.dataset.since, li.dataset.done);
  }
}

/** optimistic returns how the order will look once action succeeds. */
function optimistic(o, action) {
  const now = new Date(serverNow()).toISOString();
  switch (action) {
    case 'make': return { ...o, state: 'making', baristaId: me.id, baristaName: me.name, madeAt: now };
    case 'unmake': return { ...o, state: 'queued', baristaId: '', baristaName: '', madeAt: null };
    case 'complete': return { ...o, state: 'completed', finishedAt: now };
    case 'collect': return { ...o, collectedAt: now };
    default: return { ...o, state: 'cancelled', finishedAt: now };
  }
}

async function act(id, action) {
  const o = orders.get(id);
  if (!o || pending.has(id)) return;
  if (action === 'cancel') {
    const yes = await confirm({
      title: s.confirmCancelTitle(o.number),
      text: s.confirmCancelText(o.drink?.name || '', o.userName),
      yes: s.confirmCancelYes, no: s.keepOrder, danger: true,
    });
    if (!yes) return;
  }
  pending.set(id, optimistic(o, action));
  render();
  try {
    const res = await post(`/api/orders/${enc(id)}/${action}`);
    pending.delete(id);
    if (res && res.id) upsert(res); else render();
  } catch (e) {
    // Roll back to what the server last said (events may have moved it
    // meanwhile), and tell the barista why, in the server's words.
    pending.delete(id);
    render();
    if (e.status === 401) { location.reload(); return; }
    toast(s.failed(s.actionNames[action], o.number, e.status === 0 ? s.networkError : e.message), s.dismiss);
  }
}

function renderStore() {
  if (!bar) return;
  document.title = s.title(bar.name);
  $('bar-name').textContent = bar.name;
  const pill = $('store-state');
  pill.textContent = bar.open ? s.open : s.closed;
  pill.className = `pill ${bar.open ? 'pill-open' : 'pill-closed'}`;
  const btn = $('store-toggle');
  btn.textContent = bar.open ? s.closeBar : s.openBar;
  btn.className = bar.open ? 'btn btn-danger-outline' : 'btn btn-primary';
  btn.disabled = storeBusy;
  if (storeBusy) btn.setAttribute('aria-busy', 'true'); else btn.removeAttribute('aria-busy');
}

async function toggleStore() {
  if (!bar || storeBusy) return;
  const open = !bar.open;
  if (!open) {
    const yes = await confirm({ title: s.confirmCloseTitle, text: s.confirmCloseText, yes: s.confirmCloseYes, no: s.keepOpen, danger: true });
    if (!yes) return;
  }
  storeBusy = true;
  renderStore();
  try {
    bar = await apiPatch(`/api/events/${enc(event)}`, { open });
  } catch (e) {
    if (e.status === 401) { location.reload(); return; }
    toast(s.failedBar(e.status === 0 ? s.networkError : e.message), s.dismiss);
  } finally {
    storeBusy = false;
    renderStore();
    // Disabling the button while busy took focus away from it.
    if (document.activeElement === document.body) $('store-toggle').focus();
  }
}
