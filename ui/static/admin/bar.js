// One bar in the console: its state and the actions on it (open, close,
// end, reopen), links to its apps, and tabs for its settings, menu,
// screens (TV pairing and the QR code) and audit log. The bar's stream
// keeps it live: a barista closing the bar or marking a drink unavailable
// shows here at once, as does every order that uses the QR code.

import { get, patch as apiPatch, enc, stream } from '/static/shared/api.js';
import { h, patch, connection } from '/static/shared/dom.js';
import { confirm } from '/static/shared/dialog.js';
import { busy } from '/static/admin/forms.js';
import { statePill } from '/static/admin/bars.js';
import { settingsTab } from '/static/admin/settings.js';
import { menuTab } from '/static/admin/menu.js';
import { screensTab } from '/static/admin/screens.js';
import { auditTab } from '/static/admin/audit.js';

const TABS = [
  ['settings', 'tabSettings', settingsTab],
  ['menu', 'tabMenu', menuTab],
  ['screens', 'tabScreens', screensTab],
  ['audit', 'tabAudit', auditTab],
];

const APPS = [
  ['display', 'appDisplay'],
  ['barista', 'appBarista'],
  ['stats', 'appStats'],
  ['poster', 'appPoster'],
];

/** barView shows bar id with the tab named (settings by default). */
export async function barView(ctx, id, tabName = 'settings') {
  const { s } = ctx;
  const page = { bar: await get(`/api/events/${enc(id)}`) };
  const head = h('div', { class: 'bar-head-wrap' });
  const body = h('section', { id: 'tab', 'aria-labelledby': `tab-${tabName}` });
  // Repainted only when what it shows changes: a stream message that
  // changes nothing here must not swap a button under a finger.
  let shown = '';
  const paintHead = () => {
    const b = page.bar;
    const now = JSON.stringify([b.name, b.open, b.ended, b.timezone]);
    if (now === shown) return;
    shown = now;
    patch(head, header(ctx, page, paintHead));
  };
  paintHead();
  const tabs = h('nav', { class: 'tabs-nav', 'aria-label': s.t('barSections', { bar: page.bar.name }) },
    h('ul', { class: 'tabs' }, TABS.map(([name, key]) => h('li', {},
      h('a', { id: `tab-${name}`, href: `#/bar/${enc(id)}/${name}`, 'aria-current': name === tabName ? 'page' : null, text: s.t(key) })))));
  ctx.main.replaceChildren(h('p', { class: 'crumb' }, h('a', { href: '#/', text: s.t('backToBars') })), head, tabs, body);
  const make = TABS.find(([name]) => name === tabName)[2];
  const tab = await make(ctx, page, body);

  // Live: the board stream of the bar (admins are staff of every bar).
  const live = stream(`/api/events/${enc(id)}/stream`, {
    onSnapshot(d) {
      if (d.bar) { page.bar = d.bar; paintHead(); tab.onBar?.(d.bar); }
    },
    onEvent(type, d) {
      if (type === 'ConfigService.ConfigChanged' && d.bar) { page.bar = d.bar; paintHead(); tab.onBar?.(d.bar); }
      tab.onEvent?.(type, d);
    },
    onStatus: connection(ctx.conn, s.t('reconnecting')),
    onGiveUp: async () => {
      try { await get('/api/me'); return true; } catch (e) {
        if (e.status === 401 || e.status === 403) { location.reload(); return false; }
        return true;
      }
    },
  });
  return {
    dirty: () => !!tab.dirty?.(),
    close() { live.close(); tab.close?.(); },
  };
}

/** header is the bar's name, state, actions and links. */
function header(ctx, page, repaint) {
  const { s } = ctx;
  const b = page.bar;
  const set = async (btn, change, said) => {
    await busy(btn, async () => {
      try {
        page.bar = await apiPatch(`/api/events/${enc(b.id)}`, change);
        repaint();
        ctx.say(said);
      } catch (e) { ctx.failed(e); }
    });
  };
  const actions = [];
  if (!b.ended) {
    actions.push(h('button', {
      type: 'button', id: 'bar-toggle', dataset: { key: 'bar-toggle' }, class: b.open ? 'btn btn-danger-outline' : 'btn btn-primary',
      text: b.open ? s.t('closeBar') : s.t('openBar'),
      onclick: async (ev) => {
        const btn = ev.currentTarget;
        if (b.open && !(await confirm({ title: s.t('confirmCloseTitle', { bar: b.name }), text: s.t('confirmCloseText'), yes: s.t('closeBar'), no: s.t('keepOpen'), danger: true }))) return;
        await set(btn, { open: !b.open }, b.open ? s.t('closedBar', { bar: b.name }) : s.t('openedBar', { bar: b.name }));
      },
    }));
  }
  actions.push(h('button', {
    type: 'button', id: 'bar-end', dataset: { key: 'bar-end' }, class: b.ended ? 'btn btn-primary' : 'btn btn-danger-outline',
    text: b.ended ? s.t('reopenBar') : s.t('endBar'),
    onclick: async (ev) => {
      const btn = ev.currentTarget;
      const ask = b.ended
        ? { title: s.t('confirmReopenTitle', { bar: b.name }), text: s.t('confirmReopenText'), yes: s.t('reopenBar'), no: s.t('keepEnded') }
        : { title: s.t('confirmEndTitle', { bar: b.name }), text: s.t('confirmEndText'), yes: s.t('endBar'), no: s.t('keepGoing'), danger: true };
      if (!(await confirm(ask))) return;
      // An ended bar takes no orders whether open or not (scans hear
      // bar_ended, not closed); it comes back closed, to be opened when
      // its next event begins.
      const change = b.ended ? { ended: false, open: false } : { ended: true };
      await set(btn, change, b.ended ? s.t('reopenedBar', { bar: b.name }) : s.t('endedBar', { bar: b.name }));
    },
  }));
  actions.push(h('a', {
    class: 'btn', id: 'bar-export', href: `/api/events/${enc(b.id)}/export`, download: `presso-${b.id}.json`,
    title: s.t('exportHint'), text: s.t('exportBar'),
  }));
  return h('div', {},
    h('div', { class: 'view-head' },
      h('h1', { tabindex: '-1', id: 'bar-title' }, b.name, ' ', statePill(s, b)),
      h('div', { class: 'actions' }, actions)),
    h('p', { class: 'hint' }, s.t('barIdLine', { id: b.id, tz: b.timezone })),
    b.ended ? h('p', { class: 'notice', text: s.t('endedNotice') }) : null,
    h('ul', { class: 'links', 'aria-label': s.t('appsOf', { bar: b.name }) }, APPS.map(([app, key]) => h('li', {},
      h('a', { class: 'btn', href: `/${app}/${enc(b.id)}`, target: '_blank', rel: 'noopener' },
        s.t(key), h('span', { class: 'visually-hidden', text: ` (${s.t('newTab')})` }))))));
}
