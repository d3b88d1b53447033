// The Barista board: New → Making → Ready, built for a rush on a tablet.
// Orders come from the board stream. An action moves its card at once
// (optimistically) and the server's answer, or the next event, decides
// where it really is; a refused action puts the card back and says why.
//
// Cards are compact (eight or more per lane at 1280×800) and always name
// the customer; modifiers are coloured tags; identical waiting drinks are
// flagged so they can be made together; a per-tablet drink filter splits
// the queue between two tablets. Ready cards stay until collected or the
// bar's ready time, with "Call again". Walk-up orders are taken from the
// header.

import { get, post, patch as apiPatch, del, enc, stream, serverNow, ms, newer, isActive } from '/static/shared/api.js';
import { h, patch, eventId, announcer, connection, toast, mmss } from '/static/shared/dom.js';
import { staffGate } from '/static/shared/staff.js';
import { confirm } from '/static/shared/dialog.js';
import { Chime, soundToggle } from '/static/shared/chime.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';

const READY_FOR = 600;          // seconds a Ready card stays, unless the bar says (readySeconds)
const CALL_COOLDOWN = 60 * 1000; // "Call again" rests this long after a call
const AGE_WARN = 2;             // minutes: amber from here
const AGE_LATE = 5;             // minutes: red and "late" from here
const TAG_COLOURS = 6;          // mod-c0 … mod-c5 in barista.css

const $ = (id) => document.getElementById(id);
const event = eventId();
const say = announcer($('live'));
const chime = new Chime();
const filterKey = `presso:barista:${event}:drinks`;

let s = null;  // the tablet's language's strings
let me = null;
let bar = null;
const orders = new Map();   // id → order as the server last told us
const pending = new Map();  // id → the optimistic view while an action runs
const callUntil = new Map(); // id → Date.now() when "Call again" may be pressed again
const missing = new Set();  // features this server does not offer: 'walkup', 'call'
let filter = loadFilter();  // drink ids this tablet shows in New and Making; empty: all
let storeBusy = false;
let shownReady = [];        // orders in the Ready lane at the last render

main();

const readyFor = () => (bar?.readySeconds || READY_FOR) * 1000;

async function main() {
  try { bar = await get(`/api/events/${enc(event)}`); } catch { /* the stream brings it */ }
  s = await load('barista', pickLanguage(browserLanguages(), bar?.language));
  me = await staffGate($('signin'), event, ['admin', 'barista'], s);
  $('screen').hidden = false;
  $('role').textContent = s.t('barista');
  $('store-label').textContent = s.t('barIs');
  $('me').textContent = s.t('signedInAs', { name: me.name });
  $('signout').textContent = s.t('signOut');
  document.querySelector('.tools').prepend(h('a', { id: 'stats-link', class: 'btn btn-quiet', href: `/stats/${enc(event)}`, text: s.t('stats') }));
  $('signout').addEventListener('click', async () => {
    try { await del('/api/session'); } finally { location.reload(); }
  });
  $('store-toggle').addEventListener('click', toggleStore);
  $('filter').addEventListener('click', editFilter);
  $('walkup').textContent = s.t('walkup');
  $('walkup').addEventListener('click', walkup);
  $('availability').textContent = s.t('availability');
  $('availability').addEventListener('click', editAvailability);
  soundToggle($('sound'), chime, { name: s.t('sound'), on: s.t('soundOn'), off: s.t('soundOff') }, true);
  // Baristas touch the tablet all the time; the first touch unlocks audio so
  // the new-order chime works without hunting for a button.
  document.addEventListener('pointerdown', () => chime.unlock(), { once: true });
  document.addEventListener('keydown', () => chime.unlock(), { once: true });
  renderFilter();

  stream(`/api/events/${enc(event)}/stream`, {
    onSnapshot(d) {
      bar = d.bar || bar;
      orders.clear();
      for (const o of d.orders || []) orders.set(o.id, o);
      renderStore();
      render();
    },
    onEvent,
    onStatus: signedOut(connection($('conn'), s.t('reconnecting'))),
    onGiveUp: async () => {
      try { await get('/api/me'); return true; } catch (e) {
        if (e.status === 401 || e.status === 403) { location.reload(); return false; }
        return true;
      }
    },
  });
  setInterval(tick, 1000);
}

/**
 * signedOut wraps the reconnect indicator: a dropped stream may mean the
 * account was disabled or its password changed (the server ends its
 * sessions and streams), so ask at once rather than after the retry, and
 * show the sign-in form when the session is gone.
 */
function signedOut(show) {
  return (status) => {
    show(status);
    if (status === 'open') return;
    get('/api/me').catch((e) => { if (e.status === 401) location.reload(); });
  };
}

function onEvent(type, d) {
  if (type === 'ConfigService.ConfigChanged' && d.bar) {
    bar = d.bar;
    renderStore();
    renderFilter();
    render();
    return;
  }
  const o = d.order;
  if (!o || !o.id) return;
  upsert(o);
  if (type === 'OrderManager.WaitingCompletion' && shows(o)) {
    chime.play();
    say(s.t('newOrder', { n: o.number, drink: o.drink?.name || '' }));
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

/** shows reports whether this tablet's drink filter lets o into New and Making. */
const shows = (o) => !filter.size || filter.has(o.drink?.id);

/**
 * modifiers lists an order's options, each marked when it is the drink's
 * default ("Regular"), so the choices that change the cup stand out.
 */
function modifiers(o) {
  const item = bar?.menu?.find((d) => d.id === o.drink?.id);
  return (o.drink?.modifiers || []).map((m) => ({
    ...m, isDefault: item?.modifiers?.find((g) => g.id === m.group)?.default === m.option,
  }));
}

/** recipe is what makes two orders the same cup: the drink and its options. */
const recipe = (o) => [o.drink?.id, ...(o.drink?.modifiers || []).map((m) => `${m.group}=${m.option}`).sort()].join('|');

/** recipeName reads a recipe out: "Flat White Oat" (defaults left out). */
const recipeName = (o) => [o.drink?.name || '', ...modifiers(o).filter((m) => !m.isDefault).map((m) => m.optionName)].join(' ');

function render() {
  if (!s || !me) return;
  const now = serverNow();
  const all = [...orders.values()].map(view).filter((o) => o.number > 0);
  // In the order they were queued: a bar that numbers by day starts at 1 again.
  const byQueue = (a, b) => ms(a.submittedAt) - ms(b.submittedAt) || a.number - b.number;
  const queued = all.filter((o) => o.state === 'queued').sort(byQueue);
  const making = all.filter((o) => o.state === 'making')
    .sort((a, b) => (b.baristaId === me.id) - (a.baristaId === me.id) || byQueue(a, b));
  const ready = all.filter((o) => o.state === 'completed' && !o.collectedAt && now - (ms(o.finishedAt) || now) < readyFor())
    .sort((a, b) => ms(b.finishedAt) - ms(a.finishedAt));
  const fresh = queued.filter(shows);
  const same = new Map();
  for (const o of fresh) same.set(recipe(o), (same.get(recipe(o)) || 0) + 1);
  renderBatches(fresh, same);
  lane('new', 'colNew', fresh, queued.length, 'emptyNew', same);
  lane('making', 'colMaking', making.filter(shows), making.length, 'emptyMaking');
  lane('ready', 'colReady', ready, ready.length, 'emptyReady');
  shownReady = ready;
}

/** renderBatches lists the waiting drinks that can be made together. */
function renderBatches(fresh, same) {
  const seen = new Set();
  const items = [];
  for (const o of fresh) {
    const r = recipe(o);
    if (same.get(r) < 2 || seen.has(r)) continue;
    seen.add(r);
    items.push(h('span', { class: 'batch', text: s.t('batch', { n: same.get(r), drink: recipeName(o) }) }));
  }
  const el = $('batches');
  patch(el, items.length ? [h('span', { class: 'batches-title', text: s.t('batches') }), ...items] : []);
  el.hidden = !items.length;
}

function lane(id, titleKey, list, total, emptyKey, same) {
  const title = s.t(titleKey);
  $(`${id}-title`).textContent = list.length === total
    ? s.t('laneCount', { title, n: list.length })
    : s.t('laneCountFiltered', { title, n: list.length, all: total });
  patch($(id), list.length ? list.map((o) => card(o, same)) : h('li', { class: 'empty', text: s.t(emptyKey) }));
}

/** tagColour gives each option one colour on every tablet, from its id. */
function tagColour(m) {
  let n = 0;
  for (const c of `${m.group}=${m.option}`) n = (n * 31 + c.charCodeAt(0)) >>> 0;
  return n % TAG_COLOURS;
}

function card(o, same) {
  const busy = pending.has(o.id);
  const mine = o.baristaId === me.id;
  const btn = (action, cls) => h('button', {
    type: 'button', class: `btn ${cls}`, text: s.t(action), disabled: busy,
    dataset: { key: `${o.id}:${action}` },
    onclick: () => act(o.id, action),
  });
  // Secondary actions are icons (named for screen readers and in a
  // tooltip), so a compact card keeps room for the drink and the name.
  const icon = (action, glyph, cls) => h('button', {
    type: 'button', class: `btn btn-icon ${cls}`, 'aria-label': s.t(action), title: s.t(action), disabled: busy,
    dataset: { key: `${o.id}:${action}` },
    onclick: () => act(o.id, action),
  }, h('span', { 'aria-hidden': 'true', text: glyph }));
  let actions = [];
  if (o.state === 'queued') actions = [icon('cancel', '✕', 'btn-danger-outline'), btn('make', 'btn-primary')];
  if (o.state === 'making') actions = [icon('cancel', '✕', 'btn-danger-outline'), icon('unmake', '↶', ''), btn('complete', 'btn-primary')];
  if (o.state === 'completed') actions = [icon('collect', '✓', 'btn-done'), missing.has('call') ? null : callButton(o)];
  const count = o.state === 'queued' ? same?.get(recipe(o)) || 0 : 0;
  const mods = modifiers(o);
  const maker = o.state === 'making'
    ? h('span', { class: `maker${mine ? ' maker-mine' : ''}`, text: mine ? s.t('mine') : s.t('madeBy', { name: o.baristaName || '?' }) })
    : null;
  const titleId = `card-${o.id}`;
  return h('li', {
    class: `card-order${o.state === 'making' && !mine ? ' not-mine' : ''}`,
    'aria-labelledby': titleId, 'aria-busy': busy ? 'true' : null,
    dataset: { since: o.state === 'completed' ? '' : (o.submittedAt || o.createdAt), done: o.finishedAt || '' },
  },
  h('div', { class: 'card-side' },
    h('h3', { id: titleId, class: 'num', 'aria-label': s.t('cardLabel', { n: o.number, drink: o.drink?.name || '' }) },
      h('a', { class: 'journey', href: `/journey/${enc(o.id)}?event=${enc(event)}`, target: '_blank', rel: 'noopener',
        title: s.t('journeyOf', { n: o.number }), dataset: { key: `${o.id}:journey` } }, `#${o.number}`)),
    o.state === 'completed' ? null : ageBadge(o)),
  h('div', { class: 'card-top' },
    h('p', { class: 'drink', 'aria-hidden': 'true', text: o.drink?.name || '' }),
    count > 1 ? h('span', { class: 'same' },
      h('span', { 'aria-hidden': 'true', text: s.t('same', { n: count }) }),
      h('span', { class: 'visually-hidden', text: s.t('sameLabel', { n: count }) })) : null,
    o.state === 'completed' ? ageBadge(o) : null),
  h('p', { class: 'who' },
    mods.length ? h('span', { class: 'mods' }, mods.map((m) => h('span', {
      class: `mod ${m.isDefault ? 'mod-default' : `mod-c${tagColour(m)}`}`, text: m.optionName,
    }))) : null,
    mods.length ? ' ' : null,
    h('span', { class: 'cust', text: o.userName ? s.t('forName', { name: o.userName }) : s.t('noName') }),
    maker ? ' · ' : null, maker),
  actions.length ? h('div', { class: 'actions' }, actions) : null);
}

/** callWait is how long, in ms, until o may be called again. */
function callWait(o) {
  const local = (callUntil.get(o.id) || 0) - Date.now();
  const server = o.calledAt ? ms(o.calledAt) + CALL_COOLDOWN - serverNow() : 0;
  return Math.max(0, local, server);
}

function callButton(o) {
  const wait = callWait(o);
  return h('button', {
    type: 'button', class: 'btn btn-call', disabled: wait > 0 || pending.has(o.id),
    dataset: { key: `${o.id}:call`, call: o.id },
    onclick: () => callAgain(o.id),
  }, wait > 0 ? s.t('calledWait', { t: mmss(wait) }) : s.t('callAgain'));
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
    el.textContent = sec < 60 ? s.t('readyAgo', { n: sec }) : s.t('readyAgoMinutes', { n: Math.floor(sec / 60) });
    el.className = 'age age-ready';
    el.removeAttribute('aria-label');
    return;
  }
  const min = Math.max(0, Math.floor((now - ms(since)) / 60000));
  const level = min < AGE_WARN ? 'ok' : min < AGE_LATE ? 'warn' : 'late';
  const age = min < 1 ? s.t('ageUnderMinute') : s.t('age', { n: min });
  el.textContent = level === 'late' ? `${age} · ${s.t('late')}` : age;
  el.className = `age age-${level}`;
  el.setAttribute('aria-label', min < 1 ? s.t('ageLabelUnderMinute') : s.n('ageLabel', min));
}

function tick() {
  // Ready cards leave after the bar's ready time; everything else just ages
  // in place, so the board is not rebuilt under the barista's finger.
  const now = serverNow();
  const expired = shownReady.some((o) => now - ms(o.finishedAt) >= readyFor());
  for (const o of [...orders.values()]) {
    if (!isActive(o) && now - ms(o.finishedAt) >= Math.max(readyFor(), 10 * 60 * 1000)) orders.delete(o.id); // nothing shows them any more
  }
  if (expired) { render(); return; }
  for (const li of document.querySelectorAll('.card-order')) {
    const age = li.querySelector('.age');
    if (age) paintAge(age, li.dataset.since, li.dataset.done);
  }
  for (const b of document.querySelectorAll('.btn-call')) {
    const o = orders.get(b.dataset.call);
    if (!o) continue;
    const wait = callWait(o);
    const text = wait > 0 ? s.t('calledWait', { t: mmss(wait) }) : s.t('callAgain');
    if (b.textContent !== text) b.textContent = text;
    b.disabled = wait > 0 || pending.has(o.id);
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

const ACTION_KEYS = {
  make: 'actionMake', unmake: 'actionUnmake', complete: 'actionComplete',
  collect: 'actionCollect', cancel: 'actionCancel', call: 'actionCall',
};

/** reason is a refusal in words: the server's, or ours when there was no answer. */
const reason = (e) => (e.status === 0 ? s.t('networkError') : e.message);

/**
 * unsupported reports whether a refusal means this server has no such
 * route (yet): walk-ups and calls arrive with a newer server, and until
 * then their buttons go away after the first try.
 */
const unsupported = (e) => e.status === 405 || (e.status === 404 && /\b(route|action)\b/.test(e.message));

async function act(id, action) {
  const o = orders.get(id);
  if (!o || pending.has(id)) return;
  if (action === 'cancel') {
    const drink = o.drink?.name || '';
    const yes = await confirm({
      title: s.t('confirmCancelTitle', { n: o.number }),
      text: o.userName ? s.t('confirmCancelTextFor', { drink, name: o.userName }) : s.t('confirmCancelText', { drink }),
      yes: s.t('confirmCancelYes'), no: s.t('keepOrder'), danger: true,
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
    toast(s.t('failed', { action: s.t(ACTION_KEYS[action]), n: o.number, msg: reason(e) }), s.t('dismiss'));
  }
}

/** callAgain asks the server to call the customer of a ready order again. */
async function callAgain(id) {
  const o = orders.get(id);
  if (!o || callWait(o) > 0) return;
  callUntil.set(id, Date.now() + CALL_COOLDOWN); // no double call while the request runs
  render();
  try {
    const res = await post(`/api/orders/${enc(id)}/call`);
    say(s.t('calledDone', { n: o.number }));
    if (res && res.id) upsert(res);
  } catch (e) {
    if (e.status === 401) { location.reload(); return; }
    if (e.status === 429) {
      // Someone called it moments ago: rest until the server allows it.
      if (e.retryAt) callUntil.set(id, Date.now() + (e.retryAt.getTime() - serverNow()));
    } else {
      callUntil.delete(id);
    }
    if (unsupported(e)) missing.add('call');
    render();
    toast(unsupported(e) ? s.t('notAvailable', { msg: reason(e) }) : s.t('failed', { action: s.t('actionCall'), n: o.number, msg: reason(e) }), s.t('dismiss'));
  }
}

function renderStore() {
  if (!bar) return;
  document.title = s.t('title', { bar: bar.name });
  $('bar-name').textContent = bar.name;
  const pill = $('store-state');
  pill.textContent = bar.open ? s.t('open') : s.t('closed');
  pill.className = `pill ${bar.open ? 'pill-open' : 'pill-closed'}`;
  const btn = $('store-toggle');
  btn.textContent = bar.open ? s.t('closeBar') : s.t('openBar');
  btn.className = bar.open ? 'btn btn-danger-outline' : 'btn btn-primary';
  btn.disabled = storeBusy;
  if (storeBusy) btn.setAttribute('aria-busy', 'true'); else btn.removeAttribute('aria-busy');
}

async function toggleStore() {
  if (!bar || storeBusy) return;
  const open = !bar.open;
  if (!open) {
    const yes = await confirm({ title: s.t('confirmCloseTitle'), text: s.t('confirmCloseText'), yes: s.t('confirmCloseYes'), no: s.t('keepOpen'), danger: true });
    if (!yes) return;
  }
  storeBusy = true;
  renderStore();
  try {
    bar = await apiPatch(`/api/events/${enc(event)}`, { open });
  } catch (e) {
    if (e.status === 401) { location.reload(); return; }
    toast(s.t('failedBar', { msg: reason(e) }), s.t('dismiss'));
  } finally {
    storeBusy = false;
    renderStore();
    // Disabling the button while busy took focus away from it.
    if (document.activeElement === document.body) $('store-toggle').focus();
  }
}

// ---- This tablet's drinks ------------------------------------------------

function loadFilter() {
  try {
    const ids = JSON.parse(localStorage.getItem(filterKey));
    return new Set(Array.isArray(ids) ? ids.filter((x) => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

/** renderFilter names, in the header, the drinks this tablet shows. */
function renderFilter() {
  const names = (bar?.menu || []).filter((d) => filter.has(d.id)).map((d) => d.name);
  const btn = $('filter');
  // Names while they are short enough for the header, else a count; the
  // dialog lists them all.
  let list = filter.size ? s.list(names.length ? names : [...filter]) : s.t('filterAll');
  btn.title = list;
  if (list.length > 32) list = s.t('filterCount', { n: filter.size, all: bar?.menu?.length || filter.size });
  btn.textContent = s.t('filterButton', { list });
  btn.classList.toggle('is-filtered', filter.size > 0);
}

/** modal shows a form in a native modal dialog; Escape or Close dismisses it. */
function modal(titleId, form, back) {
  const dlg = h('dialog', { class: 'dialog dialog-wide', 'aria-labelledby': titleId }, form);
  dlg.addEventListener('close', () => { dlg.remove(); back?.focus(); });
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

function editFilter() {
  const boxes = (bar?.menu || []).map((d) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'drink', value: d.id, checked: filter.has(d.id) }),
    h('span', { text: d.name })));
  const f = h('form', { method: 'dialog' },
    h('h2', { id: 'filter-title', text: s.t('filterTitle') }),
    h('p', { class: 'hint', text: s.t('filterText') }),
    h('fieldset', { class: 'checks' }, h('legend', { class: 'visually-hidden', text: s.t('filterTitle') }), boxes),
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'submit', value: 'all', class: 'btn', text: s.t('filterEverything') }),
      h('button', { type: 'submit', value: 'cancel', class: 'btn btn-quiet', text: s.t('filterCancel') }),
      h('button', { type: 'submit', value: 'save', class: 'btn btn-primary', text: s.t('filterSave') })));
  const dlg = modal('filter-title', f, $('filter'));
  dlg.addEventListener('close', () => {
    if (dlg.returnValue === 'all') filter = new Set();
    else if (dlg.returnValue === 'save') filter = new Set(boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value));
    else return;
    localStorage.setItem(filterKey, JSON.stringify([...filter]));
    renderFilter();
    render();
  });
}

// ---- Walk-up orders ------------------------------------------------------

function radioGroup(name, legend, options, checked, onchange) {
  return h('fieldset', { class: 'radios', onchange },
    h('legend', { text: legend }),
    options.map((o) => h('label', { class: 'check' },
      h('input', { type: 'radio', name, value: o.id, checked: o.id === checked }),
      h('span', { text: o.name }))));
}

/**
 * walkup takes an order at the bar for someone without a phone: a name to
 * call out, a drink and its options. The server numbers it and queues it
 * like any other (POST /api/events/{event}/walkups).
 */
function walkup() {
  const menu = (bar?.menu || []).filter((d) => d.available);
  const err = h('p', { class: 'form-error', role: 'alert' });
  const name = h('input', { id: 'walkup-name', name: 'name', required: true, maxlength: '40', autocomplete: 'off', 'aria-describedby': 'walkup-name-error' });
  const nameErr = h('p', { id: 'walkup-name-error', class: 'form-error' });
  const mods = h('div', { class: 'walkup-mods' });
  const showMods = (drinkId) => patch(mods, (menu.find((d) => d.id === drinkId)?.modifiers || [])
    .map((g) => radioGroup(`mod:${g.id}`, g.name, g.options, g.default)));
  const drinks = radioGroup('drink', s.t('walkupDrink'), menu, '', (ev) => { if (ev.target.name === 'drink') showMods(ev.target.value); });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: s.t('walkupSubmit') });
  const f = h('form', { method: 'dialog', novalidate: true },
    h('h2', { id: 'walkup-title', text: s.t('walkupTitle') }),
    h('label', { for: 'walkup-name', text: s.t('walkupName') }), name, nameErr,
    drinks, mods, err,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', text: s.t('walkupCancel'), onclick: () => dlg.close() }),
      submit));
  const dlg = modal('walkup-title', f, $('walkup'));
  name.focus();
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = new FormData(f);
    const body = { name: String(data.get('name') || '').trim(), drink: data.get('drink') || '', modifiers: {} };
    for (const [k, v] of data) if (k.startsWith('mod:')) body.modifiers[k.slice(4)] = v;
    err.textContent = nameErr.textContent = '';
    name.removeAttribute('aria-invalid');
    if (!body.name) { name.setAttribute('aria-invalid', 'true'); nameErr.textContent = name.validationMessage; name.focus(); return; }
    if (!body.drink) { err.textContent = s.t('walkupChoose'); drinks.querySelector('input')?.focus(); return; }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    try {
      const o = await post(`/api/events/${enc(event)}/walkups`, body);
      dlg.close();
      if (o && o.id) upsert(o);
      say(s.t('walkupDone', { n: o?.number ?? '', name: body.name }));
    } catch (e) {
      if (e.status === 401) { location.reload(); return; }
      if (e.field === 'name') { name.setAttribute('aria-invalid', 'true'); nameErr.textContent = reason(e); name.focus(); } else err.textContent = unsupported(e) ? s.t('notAvailable', { msg: reason(e) }) : reason(e);
      if (unsupported(e)) { missing.add('walkup'); $('walkup').hidden = true; }
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  });
}

// ---- Sold out: what the bar can make -------------------------------------

/**
 * editAvailability lets a barista mark drinks available or not when the
 * oat milk runs out (PATCH /api/events/{event}/menu/{drink}), and nothing
 * else of the menu. Each switch applies at once; phones see it through
 * ConfigChanged, and so does this board.
 */
function editAvailability() {
  const err = h('p', { class: 'form-error', role: 'alert' });
  const boxes = (bar?.menu || []).map((d) => {
    const input = h('input', { type: 'checkbox', name: 'available', value: d.id, checked: d.available });
    input.addEventListener('change', async () => {
      err.textContent = '';
      input.disabled = true;
      try {
        bar = await apiPatch(`/api/events/${enc(event)}/menu/${enc(d.id)}`, { available: input.checked });
        say(input.checked ? s.t('drinkAvailable', { drink: d.name }) : s.t('drinkUnavailable', { drink: d.name }));
      } catch (e) {
        if (e.status === 401) { location.reload(); return; }
        input.checked = !input.checked;
        err.textContent = s.t('failedAvailability', { drink: d.name, msg: reason(e) });
      } finally {
        input.disabled = false;
      }
    });
    return h('label', { class: 'check' }, input, h('span', { text: d.name }));
  });
  const f = h('form', { method: 'dialog' },
    h('h2', { id: 'avail-title', text: s.t('availabilityTitle') }),
    h('p', { class: 'hint', text: s.t('availabilityText') }),
    h('fieldset', { class: 'checks' }, h('legend', { class: 'visually-hidden', text: s.t('availabilityTitle') }), boxes),
    err,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', value: 'close', class: 'btn btn-primary', text: s.t('availabilityDone') })));
  modal('avail-title', f, $('availability'));
}
