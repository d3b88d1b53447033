// Home: the bars, for customers (how to order, nothing else), and behind
// staff sign-in the links to each bar's apps and the admin console. Under
// --dev each open bar also offers "Try it without a phone": the order app
// with the bar's current code, on this machine.

import { get, del, enc } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';
import { credentials, onSignIn } from '/static/shared/staff.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';

const $ = (id) => document.getElementById(id);
const DEV = document.body.hasAttribute('data-dev');
const APPS = [
  ['display', 'appDisplay', 'appDisplayHint'],
  ['barista', 'appBarista', 'appBaristaHint'],
  ['poster', 'appPoster', 'appPosterHint'],
];

let s = null;
let me = null;    // the signed-in staff member, or null
let bars = [];

main();

async function main() {
  s = await load('home', pickLanguage(browserLanguages(), 'en'));
  $('title').textContent = s.t('title');
  $('intro').textContent = s.t('intro');
  $('status').textContent = s.t('loading');
  if (DEV) {
    $('dev').textContent = s.t('devNotice');
    $('dev').hidden = false;
  }
  $('staff').addEventListener('click', () => (me ? signOut() : toggleSignIn()));
  try { me = await get('/api/me'); } catch { me = null; }
  if (me?.kind !== 'staff') me = null;
  await loadBars();
}

async function loadBars() {
  try {
    ({ events: bars } = await get('/api/events'));
  } catch (e) {
    $('status').textContent = s.t('failed', { msg: e.message });
    return;
  }
  render();
}

/** staffOf reports whether the signed-in staff member works at bar b. */
const staffOf = (b) => !!me && (me.role === 'admin' || me.eventId === b.id);

function render() {
  $('staff').textContent = me ? s.t('signOut') : s.t('staffSignIn');
  $('staff').hidden = false;
  $('staff').setAttribute('aria-expanded', String(!$('signin').hidden));
  $('me').textContent = me ? s.t('signedInAs', { name: me.name }) : '';
  // Customers see the bars taking orders; an ended one is history.
  const shown = (bars || []).filter((b) => staffOf(b) || !b.ended);
  $('status').textContent = shown.length ? '' : me?.role === 'admin' ? s.t('noneAdmin') : s.t('none');
  const items = shown.map(bar);
  if (me?.role === 'admin') {
    items.unshift(h('li', { class: 'card bar' },
      h('h2', { text: s.t('appAdmin') }),
      h('p', { class: 'hint', text: s.t('appAdminHint') }),
      h('a', { class: 'btn btn-primary', href: '/admin', text: s.t('openAdmin') })));
  }
  patch($('bars'), items);
}

function bar(b) {
  const err = h('p', { class: 'form-error', role: 'alert' });
  const open = b.open && !b.ended;
  const [pill, hint] = b.ended ? ['ended', 'endedHint'] : b.open ? ['open', 'orderHint'] : ['closed', 'closedHint'];
  return h('li', { class: 'card bar' },
    h('div', { class: 'bar-head' },
      h('h2', { text: b.name }),
      h('span', { class: `pill ${open ? 'pill-open' : 'pill-closed'}`, text: s.t(pill) })),
    h('p', { class: 'hint', text: s.t(hint) }),
    DEV && open ? h('p', { class: 'try' },
      h('button', { type: 'button', class: 'btn btn-primary', text: s.t('try'), dataset: { key: `try:${b.id}` }, onclick: () => tryIt(b, err) }),
      h('span', { class: 'hint', text: s.t('tryHint') })) : null,
    err,
    staffOf(b) ? h('ul', { class: 'apps', 'aria-label': s.t('appsOf', { bar: b.name }) }, APPS.map(([path, name, what]) => h('li', {},
      h('a', { class: 'btn', href: `/${path}/${enc(b.id)}` }, s.t(name)),
      h('span', { class: 'hint', text: s.t(what) })))) : null);
}

/** tryIt opens the order app with the bar's current code (--dev only). */
async function tryIt(b, err) {
  err.textContent = '';
  try {
    const { url } = await get(`/api/events/${enc(b.id)}/try`);
    location.assign(url);
  } catch (e) {
    err.textContent = s.t('tryFailed', { msg: e.status === 0 ? s.t('networkError') : e.message });
  }
}

function toggleSignIn() {
  const section = $('signin');
  if (!section.hidden) {
    section.hidden = true;
    render();
    $('staff').focus();
    return;
  }
  const fields = credentials(s);
  const { user, pass, err, submit } = fields;
  // method=post: should the script fail mid-way, a native submit must not
  // put the password in the URL.
  const f = h('form', { method: 'post', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title', text: s.t('staffTitle') }),
    h('p', { class: 'hint', text: s.t('staffText') }),
    h('label', { for: 'signin-user', text: s.t('username') }), user,
    h('label', { for: 'signin-pass', text: s.t('password') }), pass,
    err, submit);
  onSignIn(f, fields, s, async (who) => {
    me = who.kind === 'staff' ? who : null;
    section.hidden = true;
    await loadBars(); // staff see more of them (an admin, ended ones)
    $('staff').focus();
    return '';
  });
  patch(section, f);
  section.hidden = false;
  render();
  user.focus();
}

async function signOut() {
  try { await del('/api/session'); } catch { /* signed out either way */ }
  me = null;
  await loadBars();
  $('staff').focus();
}
