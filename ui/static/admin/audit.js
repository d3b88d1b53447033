// A bar's audit log: who changed what and when, newest first, a hundred
// rows at a time. The server writes each row in the same transaction as
// the change it records.

import { get, enc } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';
import { busy } from '/static/admin/forms.js';

const PAGE = 100;

const ACTION_KEYS = {
  'bar.create': 'auditBarCreate',
  'bar.update': 'auditBarUpdate',
  'bar.open': 'auditBarOpen',
  'bar.close': 'auditBarClose',
  'bar.end': 'auditBarEnd',
  'bar.reopen': 'auditBarReopen',
  'bar.import': 'auditBarImport',
  'menu.save': 'auditMenuSave',
  'menu.availability': 'auditMenuAvailability',
  'qr.rotate': 'auditQrRotate',
  'staff.create': 'auditStaffCreate',
  'staff.update': 'auditStaffUpdate',
  'staff.password': 'auditStaffPassword',
  'screen.pair': 'auditScreenPair',
  'screen.paired': 'auditScreenPaired',
};

/** value shows one audited value briefly. */
const value = (v) => (v === null || v === undefined ? '–' : Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** detail is what a row changed: "name: Old → New; open: false → true". */
function detail(row) {
  const before = row.before || {}, after = row.after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.map((k) => (k in before && k in after ? `${k}: ${value(before[k])} → ${value(after[k])}` : `${k}: ${value(k in after ? after[k] : before[k])}`)).join('; ');
}

/** auditTab renders page.bar's audit log into el. */
export async function auditTab(ctx, page, el) {
  const { s } = ctx;
  const rows = [];
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn', id: 'audit-more', text: s.t('auditOlder'), hidden: true });
  const refresh = h('button', { type: 'button', class: 'btn', id: 'audit-refresh', text: s.t('refresh') });
  const empty = h('p', { class: 'hint', text: s.t('auditEmpty'), hidden: true });
  const fetchPage = async (before) => {
    const q = before ? `&before=${before}` : '';
    const { audit } = await get(`/api/events/${enc(page.bar.id)}/audit?limit=${PAGE}${q}`);
    return audit || [];
  };
  const paint = () => {
    patch(tbody, rows.map((r) => h('tr', {},
      h('td', { class: 'when' }, h('time', { datetime: r.at, text: s.dateTime(new Date(r.at)) })),
      h('td', { text: r.actorName || r.actorId || '–' }),
      h('td', { text: ACTION_KEYS[r.action] ? s.t(ACTION_KEYS[r.action], { target: r.target }) : `${r.action} ${r.target}` }),
      h('td', { class: 'detail', text: detail(r) }))));
    empty.hidden = rows.length > 0;
  };
  const reload = async () => {
    const first = await fetchPage(0);
    rows.splice(0, rows.length, ...first);
    more.hidden = first.length < PAGE;
    paint();
  };
  more.addEventListener('click', () => busy(more, async () => {
    try {
      const next = await fetchPage(rows.at(-1)?.seq);
      rows.push(...next);
      more.hidden = next.length < PAGE;
      paint();
    } catch (e) { ctx.failed(e); }
  }));
  refresh.addEventListener('click', () => busy(refresh, async () => {
    try { await reload(); ctx.say(s.t('auditRefreshed')); } catch (e) { ctx.failed(e); }
  }));
  await reload();
  el.replaceChildren(h('div', { class: 'card' },
    h('div', { class: 'view-head' }, h('h2', { text: s.t('auditTitle') }), h('div', { class: 'actions' }, refresh)),
    h('div', { class: 'table-wrap' }, h('table', { class: 'audit' },
      h('caption', { class: 'visually-hidden', text: s.t('auditCaption', { bar: page.bar.name }) }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: s.t('colWhen') }),
        h('th', { scope: 'col', text: s.t('colWho') }),
        h('th', { scope: 'col', text: s.t('colWhat') }),
        h('th', { scope: 'col', text: s.t('colDetail') }))),
      tbody)),
    empty,
    h('p', { class: 'form-actions' }, more)));
  return {};
}
