// The Order app, opened on a phone by scanning the Display's QR code
// (/order/{event}?code=…). Sign in, resume an order in progress or redeem
// the code, choose a drink before the server's deadline, then follow the
// order live until pickup. The server decides everything (limits, time-outs,
// who may cancel); this app only shows its answers clearly.

import { get, post, put, del, enc, stream, serverNow, ms, isActive, newer } from '/static/shared/api.js';
import { h, patch, showOnly, mmss, eventId, announcer, connection } from '/static/shared/dom.js';
import { confirm } from '/static/shared/dialog.js';
import { s, when, dateTime } from '/static/order/strings.js';

const POSITION_EVERY = 10 * 1000; // refresh the queue position while queued
const RECENT = 15 * 60 * 1000;    // a finished order is still worth showing after a reload

const $ = (id) => document.getElementById(id);
const event = eventId();
const say = announcer($('live'));
const screens = $('screens');

const app = {
  bar: null,
  me: null,
  code: new URLSearchParams(location.search).get('code') || '',
  order: null,     // the order this page follows
  screen: 'loading',
  sse: null,
  timer: 0,        // the 1 s tick of the visible screen
  ticks: {},       // screen id → what to repaint every second (countdowns)
  seen: new Map(), // order id → latest copy the stream delivered
  poll: 0,         // the position refresh
  back: 'thanks',  // where "Back" from the history goes
  cancelledHere: '', // id of an order this page asked to cancel
  positionFor: '',   // "id:state" whose position was last fetched
};

main();

async function main() {
  show('loading');
  $('loading-text').textContent = s.loading;
  $('nav-history').textContent = s.history;
  $('nav-signout').textContent = s.signOut;
  // Properties rather than listeners: "Try again" runs main() again.
  $('nav-history').onclick = showHistory;
  $('nav-signout').onclick = signOut;
  try {
    app.bar = await get(`/api/events/${enc(event)}`);
  } catch (e) {
    return problem(e.status === 404 ? s.barNotFound : errorText(e), '', e.status === 404 ? null : main);
  }
  document.title = s.title(app.bar.name);
  $('bar-name').textContent = app.bar.name;
  try {
    app.me = await get('/api/me');
  } catch (e) {
    if (e.status !== 401) return problem(errorText(e), '', main);
  }
  if (!app.me) return signIn();
  start();
}

/** errorText turns a failed request into words for the customer. */
function errorText(e) {
  return e.status === 0 ? s.networkError : s.genericError(e.message);
}

// ---- Screens -------------------------------------------------------------

/**
 * show switches screens. Focus moves to the new heading when asked: after a
 * user action, or when the screen the user was on is gone.
 */
function show(id, focus = false) {
  clearInterval(app.timer);
  app.screen = id;
  showOnly(screens, id);
  const tick = app.ticks[id];
  if (tick) {
    tick();
    app.timer = setInterval(tick, 1000);
  }
  if (focus) screens.querySelector(`#${id} h1`)?.focus();
}

/** heading is a screen title that can take focus when the screen changes. */
const heading = (text) => h('h1', { tabindex: '-1', text });

/** problem shows a message screen; text may be a function, re-run every second. */
function problem(title, text, retry) {
  const p = h('p', { class: 'lead' });
  const paint = () => { p.textContent = typeof text === 'function' ? text() : text; };
  paint();
  app.ticks.problem = typeof text === 'function' ? paint : null;
  patch($('problem'), h('div', { class: 'card screen-card' },
    heading(title), p,
    retry ? h('button', { type: 'button', class: 'btn btn-primary wide', text: s.retry, onclick: retry }) : null,
    app.me ? h('button', { type: 'button', class: 'btn wide', text: s.history, onclick: showHistory }) : null));
  show('problem', true);
}

// ---- Sign-in -------------------------------------------------------------

function signIn() {
  app.me = null;
  $('account').hidden = true;
  $('who').textContent = '';
  if (app.bar.signInMode === 'code') emailStep('');
  else nameStep();
}

/** field builds a labelled input with its own error line. */
function field(id, label, attrs, hint) {
  const described = hint ? `${id}-hint ${id}-error` : `${id}-error`;
  const input = h('input', { id, name: id, required: true, 'aria-describedby': described, ...attrs });
  return {
    input,
    el: h('div', { class: 'field' },
      h('label', { for: id, text: label }),
      hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
      input,
      h('p', { id: `${id}-error`, class: 'form-error' })),
    error(msg) {
      input.setAttribute('aria-invalid', msg ? 'true' : 'false');
      document.getElementById(`${id}-error`).textContent = msg || '';
    },
  };
}

/** form wires a sign-in form: busy state, field errors, and 401/429 texts. */
function form(children, submitText, fields, send) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary wide', text: submitText });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const f = h('form', { class: 'card screen-card', method: 'post', novalidate: true }, children, err, submit);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    for (const fl of Object.values(fields)) fl.error('');
    const bad = Object.values(fields).find((fl) => !fl.input.checkValidity());
    if (bad) {
      bad.error(bad.input.validationMessage);
      bad.input.focus();
      return;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    try {
      await send();
    } catch (e) {
      const fl = fields[e.field];
      let msg = e.status === 0 ? s.networkError : e.message;
      if (e.status === 429 && e.retryAt) msg = s.tooMany(when(e.retryAt, serverNow()));
      if (fl) { fl.error(msg); fl.input.focus(); } else err.textContent = msg;
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  });
  return f;
}

function nameStep() {
  const name = field('name', s.nameLabel, { autocomplete: 'given-name', maxlength: '40' }, s.nameHint);
  patch($('signin'), form([heading(s.signInTitle), name.el], s.continue, { name }, async () => {
    app.me = await post('/api/customer/session', { eventId: event, name: name.input.value.trim() });
    start();
  }));
  show('signin', true);
}

function emailStep(email) {
  const mail = field('email', s.emailLabel, { type: 'email', autocomplete: 'email', inputmode: 'email', value: email }, s.emailHint);
  patch($('signin'), form([heading(s.signInTitle), mail.el], s.sendCode, { email: mail }, async () => {
    const address = mail.input.value.trim();
    const res = await post('/api/customer/code', { email: address });
    codeStep(address, res && res.devCode);
  }));
  show('signin', true);
}

function codeStep(email, devCode) {
  const code = field('code', s.codeLabel, {
    autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]*', maxlength: '10',
  });
  const f = form([
    heading(s.signInTitle),
    h('p', { text: s.codeSent(email) }),
    devCode ? h('p', { class: 'notice', text: s.devCode(devCode) }) : null,
    code.el,
  ], s.signIn, { code }, async () => {
    app.me = await post('/api/customer/session', { email, code: code.input.value.trim() });
    start();
  });
  f.append(h('div', { class: 'row' },
    h('button', { type: 'button', class: 'btn btn-quiet', text: s.otherEmail, onclick: () => emailStep(email) }),
    h('button', {
      type: 'button', class: 'btn btn-quiet', text: s.resend,
      onclick: async () => {
        try {
          const res = await post('/api/customer/code', { email });
          codeStep(email, res && res.devCode);
        } catch (e) {
          code.error(e.status === 429 && e.retryAt ? s.tooMany(when(e.retryAt, serverNow())) : errorText(e));
        }
      },
    })));
  patch($('signin'), f);
  show('signin');
  code.input.focus();
}

async function signOut() {
  try { await del('/api/session'); } catch { /* the session is gone either way */ }
  app.sse?.close();
  app.sse = null;
  app.order = null;
  stopPolling();
  signIn();
}

// ---- Finding or starting the order --------------------------------------

async function start() {
  $('account').hidden = false;
  $('who').textContent = s.signedInAs(app.me.name);
  $('loading-text').textContent = s.loading;
  show('loading');
  follow();
  let orders;
  try {
    ({ orders } = await get('/api/me/orders'));
  } catch (e) {
    if (e.status === 401) return signIn();
    return problem(errorText(e), '', start);
  }
  const mine = (orders || []).filter((o) => o.eventId === event);
  // An order in progress wins over the code in the URL: a reload (or a
  // second scan) must not redeem another code and lose the first order.
  const active = mine.find(isActive);
  if (active) return track(active, true);
  if (app.code) return redeem();
  const recent = mine.find((o) => serverNow() - ms(o.finishedAt) < RECENT);
  if (recent) return track(recent, true);
  problem(s.noCode, s.noCodeHint);
}

async function redeem() {
  $('loading-text').textContent = s.checkingCode;
  show('loading');
  try {
    const o = await post(`/api/events/${enc(event)}/orders`, { code: app.code });
    // The code is spent: a reload now resumes this order instead.
    app.code = '';
    history.replaceState(null, '', location.pathname);
    track(o, true);
  } catch (e) {
    redeemFailed(e);
  }
}

function redeemFailed(e) {
  const at = e.retryAt;
  switch (e.code) {
    case 'sold_out':
      return problem(s.soldOutTitle, () => (at && at.getTime() > serverNow() ? s.soldOut(mmss(at.getTime() - serverNow())) : s.soldOutSoon));
    case 'code_expired': return problem(s.expiredTitle, s.expired);
    case 'closed': return problem(s.closedTitle, s.closed, redeem);
    case 'busy': return problem(s.busyTitle, s.busy, redeem);
    case 'limit_reached': return problem(s.limitTitle, () => s.limit(at ? when(at, serverNow()) : ''));
    case 'invalid_code': return problem(s.invalidTitle, s.invalid);
    case 'not_found': return problem(s.barNotFound, '');
  }
  if (e.status === 401) return signIn();
  problem(errorText(e), '', redeem);
}

// ---- Following the order live ------------------------------------------

/** follow opens the user's own event stream once per sign-in. */
function follow() {
  if (app.sse) return;
  app.sse = stream('/api/me/stream', {
    onSnapshot: (d) => {
      app.seen = new Map((d.orders || []).map((o) => [o.id, o]));
      const o = app.order && app.seen.get(app.order.id);
      if (o) update(o);
    },
    onEvent: (type, d) => {
      if (d.order && d.orderId) app.seen.set(d.orderId, d.order);
      // Only this order's events change what we show; the original let any
      // message overwrite the status.
      if (app.order && d.orderId === app.order.id && d.order) update(d.order);
    },
    onStatus: connection($('conn'), s.reconnecting),
    onGiveUp: async () => {
      try { await get('/api/me'); return true; } catch (e) {
        if (e.status !== 401) return true;
        app.sse = null;
        signIn();
        return false;
      }
    },
  });
}

const RANK = { waiting: 0, queued: 1, making: 2, completed: 3, cancelled: 3, timed_out: 3 };

/** track makes o the followed order and shows the screen for its state. */
function track(o, focus) {
  // The stream may have overtaken the request that found this order.
  const streamed = app.seen.get(o.id);
  if (streamed && RANK[streamed.state] > RANK[o.state]) o = streamed;
  app.order = o;
  if (o.state === 'waiting') showMenu(focus);
  else showStatus(focus);
  refreshPosition();
}

/** update applies a newer copy of the followed order. */
function update(o) {
  const prev = app.order;
  if (!prev || prev.id !== o.id || !newer(prev, o)) return;
  // Events do not carry the queue position; keep the last one we fetched.
  if (!o.position && prev.state === o.state) o = { ...o, position: prev.position };
  app.order = o;
  if (prev.state !== o.state) {
    say(s.announce[o.state]?.(o.number) || '');
    navigator.vibrate?.(200);
  }
  if (o.collectedAt && !prev.collectedAt) say(s.announceCollected(o.number));
  const changed = prev.state !== o.state || prev.position !== o.position || prev.number !== o.number ||
    !!prev.collectedAt !== !!o.collectedAt;
  if (app.screen === 'menu' && o.state !== 'waiting') showStatus(true);
  else if (app.screen === 'status' && changed) showStatus(false);
  refreshPosition();
}

function stopPolling() {
  clearTimeout(app.poll);
  app.poll = 0;
}

/**
 * refreshPosition keeps the queue position fresh while it means something:
 * at once when the order enters a state (events carry no position), then
 * every POSITION_EVERY.
 */
function refreshPosition() {
  const o = app.order;
  if (!o || (o.state !== 'queued' && o.state !== 'making')) return stopPolling();
  const key = `${o.id}:${o.state}`;
  // Already scheduled (or fetching) for this state: an event for the same
  // state, which usually follows an action's answer at once, must not push
  // the immediate fetch back by POSITION_EVERY.
  if (app.positionFor === key && app.poll) return;
  stopPolling();
  const delay = app.positionFor === key ? POSITION_EVERY : 0;
  app.positionFor = key;
  const timer = setTimeout(async () => {
    try {
      update(await get(`/api/orders/${enc(o.id)}`));
    } catch { /* the stream still carries state changes */ }
    // Unless something else took over meanwhile, schedule the next one.
    if (app.poll === timer) {
      app.poll = 0;
      refreshPosition();
    }
  }, delay);
  app.poll = timer;
}

// ---- Menu ----------------------------------------------------------------

function radio(name, value, label, { checked, disabled, extra } = {}) {
  return h('label', { class: `choice${disabled ? ' is-disabled' : ''}` },
    h('input', { type: 'radio', name, value, checked, disabled, required: name === 'drink' }),
    h('span', { class: 'choice-name', text: label }),
    extra ? h('span', { class: 'choice-extra', text: extra }) : null);
}

function modifierGroups(drink, chosen = {}) {
  return (drink?.modifiers || []).map((g) => {
    const value = g.options.some((o) => o.id === chosen[g.id]) ? chosen[g.id] : g.default;
    return h('div', { class: 'group' },
      h('fieldset', { 'aria-describedby': `err-modifiers.${g.id}` },
        h('legend', { text: g.name }),
        h('div', { class: 'choices choices-small' },
          g.options.map((opt) => radio(`mod:${g.id}`, opt.id, opt.name, { checked: opt.id === value })))),
      h('p', { id: `err-modifiers.${g.id}`, class: 'form-error' }));
  });
}

function showMenu(focus, keep = {}) {
  const o = app.order;
  const menu = app.bar.menu || [];
  const mods = h('div', { class: 'mods' });
  const drinks = h('fieldset', { 'aria-describedby': 'err-drink' },
    h('legend', { class: 'visually-hidden', text: s.chooseTitle }),
    h('div', { class: 'choices' },
      menu.map((d) => radio('drink', d.id, d.name, {
        checked: d.available && d.id === keep.drink,
        disabled: !d.available,
        extra: d.available ? '' : s.unavailable,
      }))));
  // A new drink means new modifier groups, each back at its default: stale
  // choices from the previous drink must never be sent.
  drinks.addEventListener('change', (ev) => {
    patch(mods, modifierGroups(menu.find((d) => d.id === ev.target.value)));
  });
  patch(mods, modifierGroups(menu.find((d) => d.available && d.id === keep.drink), keep.modifiers));

  const countdown = h('p', { class: 'countdown-text' });
  const meter = h('div', { class: 'meter', 'aria-hidden': 'true' }, h('div', { class: 'meter-fill' }));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary wide big', text: s.orderNow });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const f = h('form', { class: 'menu-form', novalidate: true },
    drinks, h('p', { id: 'err-drink', class: 'form-error' }), mods, err, submit);
  f.addEventListener('submit', (ev) => { ev.preventDefault(); order(f, submit, err); });

  patch($('menu'),
    heading(s.chooseTitle),
    h('div', { class: 'countdown', role: 'timer', 'aria-live': 'off' }, countdown, meter),
    f,
    h('button', { type: 'button', class: 'btn btn-danger-outline wide', text: s.cancelOrder, onclick: cancel }));
  const end = ms(o.deadline);
  const total = (app.bar.timeouts?.customerSeconds || 300) * 1000;
  let checked = false;
  const paint = () => {
    const left = end - serverNow();
    countdown.textContent = left > 0 ? s.timeLeft(mmss(left)) : s.timeUp;
    meter.firstChild.style.setProperty('width', `${Math.max(0, Math.min(100, (left / total) * 100))}%`);
    meter.classList.toggle('meter-low', left < 60 * 1000);
    // The server times the order out; if its event got lost, ask once.
    if (left < -3000 && !checked) {
      checked = true;
      get(`/api/orders/${enc(o.id)}`).then(update, () => {});
    }
  };
  app.ticks.menu = Number.isFinite(end) ? paint : null;
  show('menu', focus);
}

async function order(f, submit, err) {
  const data = new FormData(f);
  const drink = data.get('drink');
  for (const el of f.querySelectorAll('.form-error')) el.textContent = '';
  err.textContent = '';
  if (!drink) {
    $('err-drink').textContent = s.chooseTitle;
    f.querySelector('input[name="drink"]:not(:disabled)')?.focus();
    return;
  }
  const modifiers = {};
  for (const [k, v] of data) if (k.startsWith('mod:')) modifiers[k.slice(4)] = v;
  submit.disabled = true;
  submit.setAttribute('aria-busy', 'true');
  try {
    const o = await put(`/api/orders/${enc(app.order.id)}/drink`, { drink, modifiers });
    update(o);
  } catch (e) {
    submit.disabled = false;
    submit.removeAttribute('aria-busy');
    if (e.status === 401) return signIn();
    if (e.status === 409 || e.status === 410) {
      // No longer choosing (timed out or cancelled): show what it is now.
      try { return update(await get(`/api/orders/${enc(app.order.id)}`)); } catch { /* fall through */ }
    }
    if (e.status === 400 && e.field === 'drink') {
      // Most likely it just became unavailable: reload the menu, keep choices.
      try { app.bar = await get(`/api/events/${enc(event)}`); } catch { /* keep the old one */ }
      showMenu(false, { drink, modifiers });
    }
    const slot = e.status === 400 && e.field ? document.getElementById(`err-${e.field}`) : null;
    if (slot) {
      slot.textContent = e.message;
      slot.closest('.group, form')?.querySelector('input:not(:disabled)')?.focus();
    } else {
      (document.querySelector('#menu [role="alert"]') || err).textContent = errorText(e);
    }
  }
}

// ---- Status --------------------------------------------------------------

const STEPS = ['queued', 'making', 'completed'];

function statusText(o) {
  switch (o.state) {
    case 'queued': return [s.statusQueued, o.position ? s.position(o.position) : '', s.watchScreen];
    case 'making': return [s.statusMaking, '', s.watchScreen];
    case 'completed': return o.collectedAt ? [s.statusCollected, '', s.collectedHint] : [s.statusReady, '', s.readyHint];
    case 'cancelled': {
      // The server may not say who cancelled; only claim "you" when we did.
      const byYou = o.cause === 'customer' || (!o.cause && app.cancelledHere === o.id);
      const title = o.cause === 'barista' ? s.statusCancelledByBarista : byYou ? s.statusCancelledByYou : s.statusCancelled;
      return [title, '', s.cancelledHint];
    }
    case 'timed_out': return o.cause === 'customer'
      ? [s.statusTimedOutCustomer, '', s.timedOutCustomerHint]
      : [s.statusTimedOutBarista, '', s.timedOutBaristaHint];
    default: return [s.stateNames[o.state] || o.state, '', ''];
  }
}

function showStatus(focus) {
  const o = app.order;
  const [title, pos, hint] = statusText(o);
  const step = STEPS.indexOf(o.state);
  const ended = !isActive(o);
  const mods = (o.drink?.modifiers || []).map((m) => m.optionName).join(', ');
  patch($('status'), h('div', { class: `card screen-card status status-${o.state}` },
    heading(o.number ? s.orderNo(o.number) : title),
    o.number ? h('p', { class: 'status-big', text: title }) : null,
    step >= 0 ? h('ol', { class: 'steps', 'aria-hidden': 'true' },
      STEPS.map((st, i) => h('li', { class: i < step ? 'done' : i === step ? 'now' : '', text: s.stateNames[st] }))) : null,
    pos ? h('p', { class: 'position', text: pos }) : null,
    hint ? h('p', { text: hint }) : null,
    o.drink ? h('p', { class: 'receipt' }, h('strong', { text: o.drink.name }), mods ? ` · ${mods}` : '') : null,
    o.state === 'queued' ? h('button', { type: 'button', class: 'btn btn-danger-outline wide', text: s.cancelOrder, onclick: cancel, dataset: { key: 'cancel' } }) : null,
    ended ? h('button', { type: 'button', class: 'btn btn-primary wide', text: s.done, onclick: done, dataset: { key: 'done' } }) : null));
  show('status', focus);
}

async function cancel() {
  const yes = await confirm({ title: s.confirmCancelTitle, text: s.confirmCancelText, yes: s.confirmCancelYes, no: s.keepOrder, danger: true });
  if (!yes) return;
  app.cancelledHere = app.order.id;
  try {
    update(await post(`/api/orders/${enc(app.order.id)}/cancel`));
  } catch (e) {
    if (e.status === 401) return signIn();
    // Too late (the barista started, or it ended): show where it really is.
    try { update(await get(`/api/orders/${enc(app.order.id)}`)); } catch { /* keep the screen */ }
    say(errorText(e));
    const note = h('p', { class: 'form-error', role: 'alert', text: e.status === 0 ? s.networkError : e.message });
    screens.querySelector(`#${app.screen} .card, #${app.screen} form`)?.append(note);
  }
}

function done() {
  app.order = null;
  stopPolling();
  patch($('thanks'), h('div', { class: 'card screen-card' },
    heading(s.thanksTitle),
    h('p', { class: 'lead', text: s.thanks }),
    h('button', { type: 'button', class: 'btn wide', text: s.history, onclick: showHistory })));
  show('thanks', true);
}

// ---- History -------------------------------------------------------------

async function showHistory() {
  if (app.screen !== 'history') app.back = app.screen;
  let orders = [];
  try {
    ({ orders } = await get('/api/me/orders'));
  } catch (e) {
    if (e.status === 401) return signIn();
    return problem(errorText(e), '', showHistory);
  }
  const items = (orders || []).map((o) => h('li', { class: 'past' },
    h('span', { class: 'past-main' },
      o.number ? h('strong', { text: `#${o.number} ` }) : null,
      o.drink ? o.drink.name : s.noDrink,
      o.drink?.modifiers?.length ? ` · ${o.drink.modifiers.map((m) => m.optionName).join(', ')}` : ''),
    h('span', { class: `past-state state-${o.state}`, text: s.stateNames[o.state] || o.state }),
    h('span', { class: 'past-when', text: dateTime(new Date(o.createdAt)) })));
  patch($('history'), h('div', { class: 'card screen-card' },
    heading(s.historyTitle),
    items.length ? h('ol', { class: 'past-list' }, items) : h('p', { text: s.historyEmpty }),
    h('button', { type: 'button', class: 'btn wide', text: s.back, onclick: back })));
  show('history', true);
}

function back() {
  // Screens stay built while hidden, so going back keeps the customer's
  // choices; only an order that moved on needs its new screen.
  const to = app.back;
  if ((to === 'menu' || to === 'status') && app.order) {
    if (app.order.state === 'waiting') return show('menu', true);
    return showStatus(true);
  }
  if (to === 'signin' || to === 'loading' || !$(to)?.childElementCount) return start();
  show(to, true);
}
