// The admin console (/admin): everything an operator does in a day, in the
// browser. Bars (create, copy, settings, open, close, end), their menus,
// staff accounts, TV pairing, the QR code and the audit log. Views are
// #/… fragments, so Back, reloads and bookmarks work; a view with unsaved
// changes asks before it is left. The server checks every request; a 401
// anywhere (the session ended, or the account was disabled) reloads to the
// sign-in form.
//
//	#/                      bars
//	#/new                   a new bar, blank or a copy
//	#/bar/{id}[/{tab}]      one bar: settings, menu, screens (TV and QR), audit
//	#/staff                 staff accounts
//	#/account               my password

import { del } from '/static/shared/api.js';
import { h, announcer, toast } from '/static/shared/dom.js';
import { staffGate } from '/static/shared/staff.js';
import { confirm } from '/static/shared/dialog.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';
import { barsView, newBarView } from '/static/admin/bars.js';
import { barView } from '/static/admin/bar.js';
import { staffView } from '/static/admin/people.js';
import { accountView } from '/static/admin/account.js';

const $ = (id) => document.getElementById(id);

const ROUTES = [
  [/^\/?$/, 'bars', () => barsView],
  [/^\/new$/, 'bars', () => newBarView],
  [/^\/bar\/([a-z0-9][a-z0-9_-]{0,31})(?:\/(settings|menu|screens|audit))?$/, 'bars', () => barView],
  [/^\/staff$/, 'staff', () => staffView],
  [/^\/account$/, 'account', () => accountView],
];

let current = null;  // the shown view's controller: {dirty(), close()}
let shownHash = '';  // the fragment current was made for

main();

async function main() {
  const s = await load('admin', pickLanguage(browserLanguages(), 'en'));
  document.title = s.t('title');
  $('skip').textContent = s.t('skip');
  const me = await staffGate($('signin'), '', ['admin'], s);
  $('console').hidden = false;
  $('brand-role').textContent = s.t('console');
  $('nav-label').textContent = s.t('navLabel');
  $('nav-bars').textContent = s.t('navBars');
  $('nav-staff').textContent = s.t('navStaff');
  $('nav-account').textContent = s.t('navAccount');
  $('me').textContent = s.t('signedInAs', { name: me.name });
  $('signout').textContent = s.t('signOut');
  $('signout').addEventListener('click', async () => {
    if (current?.dirty?.() && !(await leaveAnyway(s))) return;
    current?.close?.();
    current = null;
    try { await del('/api/session'); } finally { location.reload(); }
  });
  const ctx = {
    s,
    me,
    main: $('main'),
    say: announcer($('live')),
    conn: $('conn'),
    /** go shows another view, as a link would. */
    go: (hash) => { location.hash = hash; },
    /** failed handles a refused request nobody else placed: 401 signs out. */
    failed(e) {
      if (e.status === 401) { location.reload(); return; }
      toast(e.status === 0 ? s.t('networkError') : e.message, s.t('dismiss'));
    },
  };
  addEventListener('hashchange', () => route(ctx));
  addEventListener('beforeunload', (ev) => { if (current?.dirty?.()) ev.preventDefault(); });
  route(ctx);
}

/** leaveAnyway asks whether unsaved changes may be dropped. */
function leaveAnyway(s) {
  return confirm({ title: s.t('leaveTitle'), text: s.t('leaveText'), yes: s.t('leaveYes'), no: s.t('leaveNo'), danger: true });
}

async function route(ctx) {
  const hash = location.hash.replace(/^#/, '') || '/';
  if (hash === shownHash) return;
  if (current?.dirty?.()) {
    // Put the old fragment back while asking, so the address bar and the
    // navigation say where the user still is.
    const wanted = hash;
    history.replaceState(null, '', `#${shownHash}`);
    if (!(await leaveAnyway(ctx.s))) return;
    history.pushState(null, '', `#${wanted}`);
  }
  const path = location.hash.replace(/^#/, '') || '/';
  let found = null;
  for (const [re, nav, view] of ROUTES) {
    const m = re.exec(path);
    if (m) { found = { nav, view: view(), params: m.slice(1) }; break; }
  }
  current?.close?.();
  current = null;
  shownHash = path;
  ctx.conn.hidden = true;
  for (const [id, nav] of [['nav-bars', 'bars'], ['nav-staff', 'staff'], ['nav-account', 'account']]) {
    if (found?.nav === nav) $(id).setAttribute('aria-current', 'page'); else $(id).removeAttribute('aria-current');
  }
  if (!found) {
    ctx.main.replaceChildren(h('h1', { text: ctx.s.t('notFound') }), h('p', {}, h('a', { href: '#/', text: ctx.s.t('navBars') })));
    return;
  }
  ctx.main.replaceChildren(h('p', { class: 'loading', text: ctx.s.t('loading') }));
  try {
    current = await found.view(ctx, ...found.params);
  } catch (e) {
    if (e.status === 401) { location.reload(); return; }
    ctx.main.replaceChildren(
      h('h1', { tabindex: '-1', text: e.status === 404 ? ctx.s.t('notFound') : ctx.s.t('loadFailed') }),
      h('p', { text: e.status === 0 ? ctx.s.t('networkError') : e.message }),
      h('p', {}, h('a', { href: '#/', text: ctx.s.t('navBars') })));
  }
  // The new view's heading takes focus, so a screen reader hears where it
  // is, unless the view has put focus somewhere on purpose.
  if (!ctx.main.contains(document.activeElement)) ctx.main.querySelector('h1')?.focus({ preventScroll: false });
}
