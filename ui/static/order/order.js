// The Order app, opened on a phone by scanning the Display's QR code
// (/order/{event}?code=…). Sign in, resume an order in progress or redeem
// the code, choose a drink before the server's deadline, then follow the
// order live until pickup. The server decides everything (limits, time-outs,
// who may cancel); this app only shows its answers clearly.
//
// Screens are entries in the browser's history, so Back moves between them;
// an order in progress is found again from the server whatever Back does.

import { get, post, put, del, enc, stream, serverNow, ms, isActive, newer, CALLED } from '/static/shared/api.js';
import { h, patch, showOnly, mmss, eventId, announcer, connection } from '/static/shared/dom.js';
import { confirm } from '/static/shared/dialog.js';
import { Chime } from '/static/shared/chime.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';

const POSITION_EVERY = 10 * 1000; // refresh the queue position while queued
const RECENT = 15 * 60 * 1000;    // a finished order is still worth showing after a reload

const $ = (id) => document.getElementById(id);
const event = eventId();
const say = announcer($('live'));
const screens = $('screens');
const chime = new Chime();

/** s is the chosen language's strings; set by main() before any screen. */
let s = null;

const app = {
  bar: null,
  me: null,
  code: new URLSearchParams(location.search).get('code') || '',
  order: null,     // the order this page follows
  screen: 'loading',
  sse: null,
  barStream: null, // the bar's public channel: menu and texts, live
  ranOut: new Set(), // names of drinks that ran out while this page showed the menu
  timer: 0,        // the 1 s tick of the visible screen
  ticks: {},       // screen id → what to repaint every second (countdowns)
  seen: new Map(), // order id → latest copy the stream delivered
  poll: 0,         // the position refresh
  cancelledHere: '', // id of an order this page asked to cancel
  positionFor: '',   // "id:state" whose position was last fetched
  calledAt: '',      // when the followed order was last called, as shown
  email: '',         // the code sign-in's address and first name, for Back
  firstName: '',
};

addEventListener('popstate', (ev) => { if (s) backTo(ev.state?.screen); });
main();

/**
 * language is the phone's, when presso has it and the bar allows it, else
 * the bar's (English when the bar names none).
 */
function language(bar) {
  const barLang = bar?.language || 'en';
  return bar?.allowCustomerLanguage === false ? pickLanguage([barLang], 'en') : pickLanguage(browserLanguages(), barLang);
}

async function main() {
  show('loading');
  let bar = null, failed = null;
  try {
    bar = await get(`/api/events/${enc(event)}`);
  } catch (e) {
    failed = e;
  }
  const lang = language(bar);
  if (s?.lang !== lang) s = await load('order', lang);
  $('loading-text').textContent = s.t('loading');
  $('account').setAttribute('aria-label', s.t('accountNav'));
  $('nav-history').textContent = s.t('history');
  $('nav-signout').textContent = s.t('signOut');
  // Properties rather than listeners: "Try again" runs main() again.
  $('nav-history').onclick = () => showHistory(true);
  $('nav-signout').onclick = signOut;
  if (failed) return problem(failed.status === 404 ? s.t('barNotFound') : errorText(failed), '', failed.status === 404 ? null : main);
  app.bar = bar;
  document.title = s.t('title', { bar: bar.name });
  $('bar-name').textContent = bar.name;
  try {
    app.me = await get('/api/me');
  } catch (e) {
    if (e.status !== 401) return problem(errorText(e), '', main);
  }
  // A name sign-in belongs to the bar it was made at (the server refuses
  // orders elsewhere): at another bar in name mode sign in there under the
  // same name; at one that signs in by code, ask for the code.
  if (app.me?.kind === 'customer' && app.me.eventId && app.me.eventId !== event) {
    app.me = bar.signInMode === 'name' ? await post('/api/customer/session', { eventId: event, name: app.me.name }).catch(() => null) : null;
  }
  // A dead code says so before anyone is asked to sign in.
  if (!app.me) return (await codeAlive()) && signIn();
  start();
}

/** errorText turns a failed request into words for the customer. */
function errorText(e) {
  return e.status === 0 ? s.t('networkError') : s.t('genericError', { msg: e.message });
}

/**
 * when says when a future time is, for retry messages: "in 4:59" within the
 * hour, "at 14:05" later today, "tomorrow at 00:00" or "on Fri at 09:00".
 */
function when(date, now = serverNow()) {
  const left = date.getTime() - now;
  if (left <= 0) return s.t('whenNow');
  if (left < 60 * 60 * 1000) return s.t('whenIn', { t: mmss(left) });
  const time = s.time(date);
  if (date.toDateString() === new Date(now).toDateString()) return s.t('whenAt', { time });
  if (date.toDateString() === new Date(now + 24 * 60 * 60 * 1000).toDateString()) return s.t('whenTomorrow', { time });
  return s.t('whenOn', { day: s.weekday(date), time });
}

// ---- Screens -------------------------------------------------------------

/**
 * show switches screens. Focus moves to the new heading when asked: after a
 * user action, or when the screen the user was on is gone. nav says what
 * the browser's history gets: 'push' a new entry (Back returns here from
 * the next one), 'replace' the current one, or 'none' (Back itself).
 */
function show(id, focus = false, nav = 'replace') {
  clearInterval(app.timer);
  app.screen = id;
  showOnly(screens, id);
  const tick = app.ticks[id];
  if (tick) {
    tick();
    app.timer = setInterval(tick, 1000);
  }
  if (id !== 'loading' && nav !== 'none') {
    // The code leaves the URL once spent (see redeem), not before: a reload
    // before then must still redeem it.
    const entry = [{ screen: id }, '', location.pathname + location.search];
    if (nav === 'push' && history.state?.screen !== id) history.pushState(...entry);
    else history.replaceState(...entry);
  }
  if (focus) screens.querySelector(`#${id} h1`)?.focus();
}

/**
 * backTo shows the screen a history entry names, after Back or Forward.
 * The followed order wins over whatever the entry says: Back must never
 * show a menu for an order already placed, nor sign-in to a signed-in user.
 */
function backTo(screen) {
  if (!app.bar) return main();
  if (screen === 'history') return showHistory(false);
  if (app.order && (screen === 'menu' || screen === 'status' || !screen || screen === 'signin')) {
    return app.order.state === 'waiting' ? show('menu', true, 'none') : showStatus(true, 'none');
  }
  if (screen === 'signin' && !app.me) return app.bar.signInMode === 'code' ? emailStep(app.email, app.firstName) : nameStep();
  if (!screen || screen === 'signin' || screen === 'loading' || !$(screen)?.childElementCount) {
    return app.me ? start() : signIn();
  }
  show(screen, true, 'none');
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
    retry ? h('button', { type: 'button', class: 'btn btn-primary wide', text: s.t('retry'), onclick: retry }) : null,
    app.me ? h('button', { type: 'button', class: 'btn wide', text: s.t('history'), onclick: () => showHistory(true) }) : null));
  show('problem', true);
}

// ---- Sign-in -------------------------------------------------------------

function signIn() {
  app.me = null;
  $('account').hidden = true;
  $('who').textContent = '';
  if (app.bar.signInMode === 'code') emailStep();
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
      let msg = e.status === 0 ? s.t('networkError') : e.message;
      if (e.status === 429 && e.retryAt) msg = s.t('tooMany', { when: when(e.retryAt) });
      if (fl) { fl.error(msg); fl.input.focus(); } else err.textContent = msg;
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  });
  return f;
}

function nameStep() {
  const name = field('name', s.t('nameLabel'), { autocomplete: 'given-name', maxlength: '40' }, s.t('nameHint'));
  patch($('signin'), form([heading(s.t('signInTitle')), name.el], s.t('continue'), { name }, async () => {
    app.me = await post('/api/customer/session', { eventId: event, name: name.input.value.trim() });
    start();
  }));
  show('signin', true);
}

/**
 * emailStep asks for the address, and for a first name to call out, so the
 * public screen never needs anything from the address.
 */
function emailStep(email = '', firstName = '') {
  const mail = field('email', s.t('emailLabel'), { type: 'email', autocomplete: 'email', inputmode: 'email', value: email }, s.t('emailHint'));
  const first = field('first-name', s.t('firstNameLabel'), { autocomplete: 'given-name', maxlength: '40', required: false, value: firstName }, s.t('firstNameHint'));
  patch($('signin'), form([heading(s.t('signInTitle')), mail.el, first.el], s.t('sendCode'), { email: mail }, async () => {
    const address = mail.input.value.trim();
    app.email = address;
    app.firstName = first.input.value.trim();
    const res = await post('/api/customer/code', { email: address });
    codeStep(address, app.firstName, res && res.devCode);
  }));
  show('signin', true);
}

/**
 * signInWithCode sends the code, with the first name when one was given. A
 * server that does not take a name yet refuses the field by name (400
 * before it looks at the code, so no attempt is used up): then sign in
 * without it.
 */
async function signInWithCode(email, code, name) {
  try {
    return await post('/api/customer/session', name ? { email, code, name } : { email, code });
  } catch (e) {
    if (name && e.status === 400 && e.field === 'name') return post('/api/customer/session', { email, code });
    throw e;
  }
}

function codeStep(email, firstName, devCode) {
  const code = field('code', s.t('codeLabel'), {
    autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]*', maxlength: '10',
  });
  const f = form([
    heading(s.t('signInTitle')),
    h('p', { text: s.t('codeSent', { email }) }),
    devCode ? h('p', { class: 'notice', text: s.t('devCode', { code: devCode }) }) : null,
    code.el,
  ], s.t('signIn'), { code }, async () => {
    app.me = await signInWithCode(email, code.input.value.trim(), firstName);
    start();
  });
  f.append(h('div', { class: 'row' },
    h('button', { type: 'button', class: 'btn btn-quiet', text: s.t('otherEmail'), onclick: () => emailStep(email, firstName) }),
    h('button', {
      type: 'button', class: 'btn btn-quiet', text: s.t('resend'),
      onclick: async () => {
        try {
          const res = await post('/api/customer/code', { email });
          codeStep(email, firstName, res && res.devCode);
        } catch (e) {
          code.error(e.status === 429 && e.retryAt ? s.t('tooMany', { when: when(e.retryAt) }) : errorText(e));
        }
      },
    })));
  patch($('signin'), f);
  show('signin');
  // Back from here returns to the address step, rebuilt by backTo.
  history.pushState({ screen: 'signin', step: 'code' }, '', location.pathname + location.search);
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
  // A customer who signed in by e-mail without a first name has none.
  $('who').textContent = app.me.name ? s.t('signedInAs', { name: app.me.name }) : s.t('signedIn');
  $('loading-text').textContent = s.t('loading');
  show('loading');
  follow();
  watchBar();
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
  problem(s.t('noCode'), s.t('noCodeHint'));
}

async function redeem() {
  $('loading-text').textContent = s.t('checkingCode');
  show('loading');
  try {
    const o = await post(`/api/events/${enc(event)}/orders`, { code: app.code });
    // The code is spent: a reload now resumes this order instead.
    app.code = '';
    history.replaceState(history.state, '', location.pathname);
    track(o, true);
  } catch (e) {
    redeemFailed(e);
  }
}

/**
 * redeemFailed shows why the code was refused; retry is what "Try again"
 * does where trying again can help (closed, busy).
 */
function redeemFailed(e, retry = redeem) {
  const at = e.retryAt;
  switch (e.code) {
    case 'sold_out':
      return problem(s.t('soldOutTitle'), () => (at && at.getTime() > serverNow() ? s.t('soldOut', { t: mmss(at.getTime() - serverNow()) }) : s.t('soldOutSoon')));
    case 'code_expired': return problem(s.t('expiredTitle'), s.t('expired'));
    case 'closed': return problem(s.t('closedTitle'), s.t('closed'), retry);
    case 'busy': return problem(s.t('busyTitle'), s.t('busy'), retry);
    case 'limit_reached': return problem(s.t('limitTitle'), () => s.t('limit', { when: at ? when(at) : '' }));
    case 'invalid_code': return problem(s.t('invalidTitle'), s.t('invalid'));
    case 'not_found': return problem(s.t('barNotFound'), '');
    case 'bar_ended': return problem(s.t('endedTitle'), s.t('ended'));
  }
  if (e.status === 401) return signIn();
  problem(errorText(e), '', retry);
}

/**
 * codeAlive checks the scanned code before sign-in is asked for (GET
 * /api/events/{event}/codes/{code}, which uses nothing), so a dead code
 * says so at once; it reports whether to go on. With no code, or no
 * answer, sign-in goes ahead and the redemption after it decides.
 */
async function codeAlive() {
  if (!app.code) return true;
  $('loading-text').textContent = s.t('checkingCode');
  try {
    await get(`/api/events/${enc(event)}/codes/${enc(app.code)}`);
    return true;
  } catch (e) {
    // No network, a server error, or a server without the check.
    if (e.status === 0 || e.status >= 500 || e.status === 404 || e.status === 405) return true;
    redeemFailed(e, main);
    return false;
  }
}

// ---- Following the order live ------------------------------------------

/**
 * watchBar follows the bar's public channel, so a menu change (a new
 * drink, one sold out) or a new welcome or pickup text shows at once,
 * keeping whatever the customer has chosen so far.
 */
function watchBar() {
  if (app.barStream) return;
  const apply = (bar) => {
    if (!bar || bar.id !== event) return;
    // The stream's opening snapshot usually repeats what the page already
    // shows; redrawing the menu then would only move the customer's focus.
    if (JSON.stringify(bar) === JSON.stringify(app.bar)) return;
    // Drinks that run out while the customer looks at the menu are named,
    // so a choice that vanishes (or a tap on a greyed-out drink) is explained.
    const was = new Map((app.bar?.menu || []).map((d) => [d.id, d.available]));
    for (const d of bar.menu || []) if (was.get(d.id) && !d.available) app.ranOut.add(d.name);
    app.bar = bar;
    const f = app.screen === 'menu' && $('menu').querySelector('form');
    if (!f) {
      if (app.screen === 'status' && app.order) showStatus(false);
      return;
    }
    const kept = choice(f);
    showMenu(false, kept);
    if (kept.drink && !bar.menu?.find((d) => d.id === kept.drink)?.available) $('err-drink').textContent = ranOutText();
  };
  app.barStream = stream(`/api/events/${enc(event)}/stream`, {
    onSnapshot: (d) => apply(d.bar),
    onEvent: (type, d) => { if (type === 'ConfigService.ConfigChanged') apply(d.bar); },
  });
}

/** ranOutText says which drinks have just run out. */
const ranOutText = () => s.t('ranOut', { drinks: s.list([...app.ranOut]) });

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
      if (!app.order || d.orderId !== app.order.id) return;
      if (d.order) update(d.order);
      if (type === CALLED) called(d.calledAt || d.order?.calledAt || new Date(serverNow()).toISOString());
    },
    onStatus: connection($('conn'), s.t('reconnecting')),
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
  app.calledAt = o.calledAt || ''; // a call before this page opened is not news
  if (o.state === 'waiting') showMenu(focus);
  else showStatus(focus);
  refreshPosition();
}

/** announcement is what the live region says when o enters its state. */
function announcement(o) {
  switch (o.state) {
    case 'queued': return s.t('announceQueued', { n: o.number });
    case 'making': return s.t('announceMaking', { n: o.number });
    case 'completed': return s.t('announceCompleted', { n: o.number });
    // An order cancelled or timed out while choosing has no number yet.
    case 'cancelled': return o.number ? s.t('announceCancelled', { n: o.number }) : s.t('announceCancelledNoNumber');
    case 'timed_out': return o.number ? s.t('announceTimedOut', { n: o.number }) : s.t('announceTimedOutNoNumber');
  }
  return '';
}

/** update applies a newer copy of the followed order. */
function update(o) {
  const prev = app.order;
  if (!prev || prev.id !== o.id || !newer(prev, o)) return;
  // Events do not carry the queue position; keep the last one we fetched.
  if (!o.position && prev.state === o.state) o = { ...o, position: prev.position };
  app.order = o;
  if (prev.state !== o.state) {
    say(announcement(o));
    navigator.vibrate?.(200);
  }
  if (o.collectedAt && !prev.collectedAt) say(s.t('announceCollected', { n: o.number }));
  if (o.state !== 'waiting') sessionStorage.removeItem(choiceKey(o.id));
  const changed = prev.state !== o.state || prev.position !== o.position || prev.number !== o.number ||
    !!prev.collectedAt !== !!o.collectedAt || etaText(prev) !== etaText(o);
  if (app.screen === 'menu' && o.state !== 'waiting') showStatus(true);
  else if (app.screen === 'status' && changed) showStatus(false);
  if (o.calledAt && o.calledAt !== app.calledAt) called(o.calledAt);
  refreshPosition();
}

/**
 * called tells the customer, loudly, that the barista is calling for their
 * ready drink: a banner, a vibration and (if the phone allows) the chime.
 */
function called(at) {
  const o = app.order;
  if (!o || o.state !== 'completed' || o.collectedAt || at === app.calledAt) return;
  app.calledAt = at;
  navigator.vibrate?.([300, 150, 300, 150, 300]);
  chime.play();
  if (app.screen !== 'status') showStatus(false);
  const banner = $('called');
  patch(banner,
    h('p', { class: 'called-title', text: s.t('calledTitle') }),
    h('p', { text: s.t('calledText', { n: o.number }) }),
    h('button', { type: 'button', class: 'btn', text: s.t('calledDismiss'), onclick: () => { banner.hidden = true; } }));
  banner.hidden = false;
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

/** choiceKey names where the menu's choice is kept over a reload. */
const choiceKey = (id) => `presso:choice:${id}`;

function savedChoice(id) {
  try { return JSON.parse(sessionStorage.getItem(choiceKey(id))) || {}; } catch { return {}; }
}

function radio(name, value, label, { checked, disabled, extra } = {}) {
  return h('label', { class: `choice${disabled ? ' is-disabled' : ''}` },
    h('input', { type: 'radio', name, value, checked, disabled, required: name === 'drink', dataset: { key: `${name}:${value}` } }),
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

/** choice reads the menu form: the drink and each modifier group's option. */
function choice(f) {
  const data = new FormData(f);
  const modifiers = {};
  for (const [k, v] of data) if (k.startsWith('mod:')) modifiers[k.slice(4)] = v;
  return { drink: data.get('drink'), modifiers };
}

function showMenu(focus, keep) {
  const o = app.order;
  // A reload keeps the drink the customer had picked (this tab only).
  keep = keep || savedChoice(o.id);
  const menu = app.bar.menu || [];
  const mods = h('div', { class: 'mods' });
  const drinks = h('fieldset', { 'aria-describedby': 'err-drink' },
    h('legend', { class: 'visually-hidden', text: s.t('chooseTitle') }),
    h('div', { class: 'choices' },
      menu.map((d) => radio('drink', d.id, d.name, {
        checked: d.available && d.id === keep.drink,
        disabled: !d.available,
        extra: d.available ? '' : s.t('unavailable'),
      }))));
  // A new drink means new modifier groups, each back at its default: stale
  // choices from the previous drink must never be sent.
  drinks.addEventListener('change', (ev) => {
    patch(mods, modifierGroups(menu.find((d) => d.id === ev.target.value)));
  });
  patch(mods, modifierGroups(menu.find((d) => d.available && d.id === keep.drink), keep.modifiers));

  const countdown = h('p', { class: 'countdown-text' });
  const meter = h('div', { class: 'meter', 'aria-hidden': 'true' }, h('div', { class: 'meter-fill' }));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary wide big', text: s.t('orderNow') });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const f = h('form', { class: 'menu-form', novalidate: true },
    drinks, h('p', { id: 'err-drink', class: 'form-error' }), mods, err, submit);
  f.addEventListener('submit', (ev) => { ev.preventDefault(); order(f, submit, err); });
  f.addEventListener('change', () => sessionStorage.setItem(choiceKey(o.id), JSON.stringify(choice(f))));

  patch($('menu'),
    heading(s.t('chooseTitle')),
    app.bar.welcomeText ? h('p', { class: 'bar-text', text: app.bar.welcomeText }) : null,
    h('div', { class: 'countdown', role: 'timer', 'aria-live': 'off' }, countdown, meter),
    f,
    h('button', { type: 'button', class: 'btn btn-danger-outline wide', text: s.t('cancelOrder'), onclick: cancel }));
  const end = ms(o.deadline);
  const total = (app.bar.timeouts?.customerSeconds || 300) * 1000;
  let checked = false;
  const paint = () => {
    const left = end - serverNow();
    countdown.textContent = left > 0 ? s.t('timeLeft', { t: mmss(left) }) : s.t('timeUp');
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
  const { drink, modifiers } = choice(f);
  for (const el of f.querySelectorAll('.form-error')) el.textContent = '';
  err.textContent = '';
  if (!drink) {
    $('err-drink').textContent = app.ranOut.size ? ranOutText() : s.t('chooseTitle');
    f.querySelector('input[name="drink"]:not(:disabled)')?.focus();
    return;
  }
  // This tap is the gesture that lets the phone chime when the drink is called.
  chime.enabled = true;
  chime.unlock();
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
// Short words for the three steps, which share a phone's width.
const STEP_KEYS = { queued: 'stepQueued', making: 'stepMaking', completed: 'stepCompleted' };
const STATE_KEYS = {
  waiting: 'stateWaiting', queued: 'stateQueued', making: 'stateMaking',
  completed: 'stateCompleted', cancelled: 'stateCancelled', timed_out: 'stateTimedOut',
};
const stateName = (st) => (STATE_KEYS[st] ? s.t(STATE_KEYS[st]) : st);

function statusText(o) {
  switch (o.state) {
    case 'queued': {
      const pos = o.position === 1 ? s.t('positionNext') : o.position ? s.t('position', { n: o.position }) : '';
      return [s.t('statusQueued'), pos, s.t('watchScreen')];
    }
    case 'making': return [s.t('statusMaking'), '', s.t('watchScreen')];
    case 'completed': return o.collectedAt
      ? [s.t('statusCollected'), '', s.t('collectedHint')]
      : [s.t('statusReady'), '', s.t('readyHint')];
    case 'cancelled': {
      // The server may not say who cancelled; only claim "you" when we did.
      const byYou = o.cause === 'customer' || (!o.cause && app.cancelledHere === o.id);
      const title = o.cause === 'barista' ? s.t('statusCancelledByBarista') : byYou ? s.t('statusCancelledByYou') : s.t('statusCancelled');
      return [title, '', s.t('cancelledHint')];
    }
    case 'timed_out': return o.cause === 'customer'
      ? [s.t('statusTimedOutCustomer'), '', s.t('timedOutCustomerHint')]
      : [s.t('statusTimedOutBarista'), '', s.t('timedOutBaristaHint')];
    default: return [stateName(o.state), '', ''];
  }
}

function showStatus(focus, nav) {
  const o = app.order;
  const [title, pos, hint] = statusText(o);
  const step = STEPS.indexOf(o.state);
  const ended = !isActive(o);
  const mods = (o.drink?.modifiers || []).map((m) => m.optionName).join(', ');
  if (o.state !== 'completed' || o.collectedAt) $('called').hidden = true;
  patch($('status'), h('div', { class: `card screen-card status status-${o.state}` },
    heading(o.number ? s.t('orderNo', { n: o.number }) : title),
    o.number ? h('p', { class: 'status-big', text: title }) : null,
    step >= 0 ? h('ol', { class: 'steps', 'aria-hidden': 'true' },
      STEPS.map((st, i) => h('li', { class: i < step ? 'done' : i === step ? 'now' : '', text: s.t(STEP_KEYS[st]) }))) : null,
    pos ? h('p', { class: 'position', text: pos }) : null,
    etaText(o) ? h('p', { class: 'eta', text: etaText(o) }) : null,
    hint ? h('p', { text: hint }) : null,
    o.state === 'completed' && !o.collectedAt && app.bar.pickupText ? h('p', { class: 'bar-text', text: app.bar.pickupText }) : null,
    o.drink ? h('p', { class: 'receipt' }, h('strong', { text: o.drink.name }), mods ? ` · ${mods}` : '') : null,
    timeline(o),
    o.state === 'queued' ? h('button', { type: 'button', class: 'btn btn-danger-outline wide', text: s.t('cancelOrder'), onclick: cancel, dataset: { key: 'cancel' } }) : null,
    ended ? h('button', { type: 'button', class: 'btn btn-primary wide', text: s.t('done'), onclick: done, dataset: { key: 'done' } }) : null));
  show('status', focus, nav);
}

/** etaText is the server's estimate in words ("about 4 min"), or '' without one. */
function etaText(o) {
  if (!o.estimatedReadyAt || (o.state !== 'queued' && o.state !== 'making')) return '';
  const min = Math.ceil((ms(o.estimatedReadyAt) - serverNow()) / 60000);
  return min <= 1 ? s.t('etaSoon') : s.n('eta', min);
}

/** timeline lists the order's steps so far, each with its time. */
function timeline(o) {
  const steps = [['timelineOrdered', o.createdAt], ['timelineNumbered', o.submittedAt], ['timelineStarted', o.madeAt],
    ['timelineReady', o.state === 'completed' ? o.finishedAt : null]].filter(([, t]) => t);
  return h('section', { class: 'timeline', 'aria-labelledby': 'timeline-title' },
    h('h2', { id: 'timeline-title', class: 'timeline-title', text: s.t('timelineTitle') }),
    h('ol', null, steps.map(([key, t]) => h('li', null,
      h('span', { text: s.t(key, { n: o.number }) }), ' ', h('time', { datetime: t, text: s.time(new Date(t)) })))));
}

async function cancel() {
  const yes = await confirm({ title: s.t('confirmCancelTitle'), text: s.t('confirmCancelText'), yes: s.t('confirmCancelYes'), no: s.t('keepOrder'), danger: true });
  if (!yes) return;
  app.cancelledHere = app.order.id;
  try {
    update(await post(`/api/orders/${enc(app.order.id)}/cancel`));
  } catch (e) {
    if (e.status === 401) return signIn();
    // Too late (the barista started, or it ended): show where it really is.
    try { update(await get(`/api/orders/${enc(app.order.id)}`)); } catch { /* keep the screen */ }
    say(errorText(e));
    const note = h('p', { class: 'form-error', role: 'alert', text: e.status === 0 ? s.t('networkError') : e.message });
    screens.querySelector(`#${app.screen} .card, #${app.screen} form`)?.append(note);
  }
}

function done() {
  app.order = null;
  stopPolling();
  $('called').hidden = true;
  patch($('thanks'), h('div', { class: 'card screen-card' },
    heading(s.t('thanksTitle')),
    h('p', { class: 'lead', text: s.t('thanks') }),
    h('button', { type: 'button', class: 'btn wide', text: s.t('history'), onclick: () => showHistory(true) })));
  show('thanks', true, 'push');
}

// ---- History -------------------------------------------------------------

/** showHistory lists the customer's orders; push adds a history entry. */
async function showHistory(push) {
  let orders = [];
  try {
    ({ orders } = await get('/api/me/orders'));
  } catch (e) {
    if (e.status === 401) return signIn();
    return problem(errorText(e), '', () => showHistory(push));
  }
  const items = (orders || []).map((o) => h('li', { class: 'past' },
    h('span', { class: 'past-main' },
      o.number ? h('strong', { text: `#${o.number} ` }) : null,
      o.drink ? o.drink.name : s.t('noDrink'),
      o.drink?.modifiers?.length ? ` · ${o.drink.modifiers.map((m) => m.optionName).join(', ')}` : ''),
    h('span', { class: `past-state state-${o.state}`, text: stateName(o.state) }),
    h('span', { class: 'past-when', text: s.dateTime(new Date(o.createdAt)) })));
  patch($('history'), h('div', { class: 'card screen-card' },
    heading(s.t('historyTitle')),
    items.length ? h('ol', { class: 'past-list' }, items) : h('p', { text: s.t('historyEmpty') }),
    h('button', { type: 'button', class: 'btn wide', text: s.t('back'), onclick: back })));
  show('history', true, push ? 'push' : 'none');
}

/** back is the history screen's own Back button: the browser's Back. */
function back() {
  if (history.state?.screen === 'history' && history.length > 1) history.back();
  else backTo(app.order ? 'status' : 'thanks');
}
