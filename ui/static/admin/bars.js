// The console's first view: every bar with its state and today's counts,
// opened and closed from the list; and the form for a new bar, blank or a
// copy of an existing bar's settings and menu.

import { post, patch as apiPatch, enc } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';
import { confirm } from '/static/shared/dialog.js';
import { field, select, Errors, busy } from '/static/admin/forms.js';
import { listBars, barState, counts, slug } from '/static/admin/data.js';

const STATE_KEYS = { open: 'stateOpen', closed: 'stateClosed', ended: 'stateEnded' };

/** statePill shows a bar's state in words, coloured. */
export function statePill(s, b) {
  const st = barState(b);
  return h('span', { class: `pill pill-${st}`, text: s.t(STATE_KEYS[st]) });
}

/** barsView lists the bars. */
export async function barsView(ctx) {
  const { s } = ctx;
  const bars = await listBars();
  const rows = h('tbody');
  const table = h('table', {},
    h('caption', { class: 'visually-hidden', text: s.t('barsCaption') }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: s.t('colBar') }),
      h('th', { scope: 'col', text: s.t('colState') }),
      h('th', { scope: 'col', text: s.t('colToday') }),
      h('th', { scope: 'col', text: s.t('colActions') }))),
    rows);
  const paint = () => patch(rows, bars.map((b) => barRow(ctx, b, bars, paint)));
  paint();
  ctx.main.replaceChildren(
    h('div', { class: 'view-head' },
      h('h1', { tabindex: '-1', text: s.t('barsTitle') }),
      h('div', { class: 'actions' }, importButton(ctx), h('a', { class: 'btn btn-primary', href: '#/new', id: 'new-bar', text: s.t('newBar') }))),
    bars.length ? h('div', { class: 'card table-wrap' }, table) : h('p', { class: 'card', text: s.t('noBars') }));
  return {};
}

/**
 * importButton reads a `presso export` file (or the console's Export) and
 * adds its bar with its orders and history here: the bar id must be free.
 */
function importButton(ctx) {
  const { s } = ctx;
  const file = h('input', { type: 'file', accept: 'application/json,.json', hidden: true, id: 'import-file' });
  const btn = h('button', { type: 'button', class: 'btn', id: 'import-bar', text: s.t('importBar'), onclick: () => file.click() });
  file.addEventListener('change', () => busy(btn, async () => {
    const f = file.files[0];
    file.value = '';
    if (!f) return;
    let data;
    try { data = JSON.parse(await f.text()); } catch { ctx.failed({ status: 400, message: s.t('importNotJSON', { file: f.name }) }); return; }
    try {
      const res = await post('/api/events/import', data);
      ctx.say(s.t('imported', { id: res.eventId, orders: res.orders }));
      ctx.go(`/bar/${res.eventId}`);
    } catch (e) { ctx.failed(e); }
  }));
  return [btn, file];
}

/** today is a bar's orders of its local day, in words. */
function today(s, b) {
  const c = counts(b);
  return h('div', { class: 'counts' },
    [s.n('countServed', c.served), s.n('countQueue', c.queue), s.n('countWaiting', c.waiting), s.n('countLost', c.lost)]
      .map((t) => h('span', { text: t })));
}

function barRow(ctx, b, bars, paint) {
  const { s } = ctx;
  const toggle = b.ended ? null : h('button', {
    type: 'button', class: b.open ? 'btn btn-danger-outline' : 'btn', dataset: { key: `toggle:${b.id}` },
    text: b.open ? s.t('closeBar') : s.t('openBar'),
    'aria-label': b.open ? s.t('closeBarNamed', { bar: b.name }) : s.t('openBarNamed', { bar: b.name }),
    onclick: async (ev) => {
      const open = !b.open;
      if (!open && !(await confirm({ title: s.t('confirmCloseTitle', { bar: b.name }), text: s.t('confirmCloseText'), yes: s.t('closeBar'), no: s.t('keepOpen'), danger: true }))) return;
      await busy(ev.currentTarget, async () => {
        try {
          const next = await apiPatch(`/api/events/${enc(b.id)}`, { open });
          bars[bars.indexOf(b)] = { ...b, ...next, state: barState(next) };
          paint();
          ctx.say(open ? s.t('openedBar', { bar: next.name }) : s.t('closedBar', { bar: next.name }));
        } catch (e) { ctx.failed(e); }
      });
    },
  });
  return h('tr', { dataset: { bar: b.id } },
    h('th', { scope: 'row' },
      h('a', { class: 'bar-link', href: `#/bar/${enc(b.id)}`, text: b.name }),
      h('div', { class: 'hint', text: b.id })),
    h('td', {}, statePill(s, b)),
    h('td', {}, today(s, b)),
    h('td', { class: 'row-cell-actions' }, h('div', { class: 'row-actions' },
      toggle,
      h('a', { class: 'btn', href: `#/bar/${enc(b.id)}/menu`, 'aria-label': s.t('menuOf', { bar: b.name }), text: s.t('tabMenu') }),
      h('a', { class: 'btn', href: `#/bar/${enc(b.id)}/screens`, 'aria-label': s.t('screensOf', { bar: b.name }), text: s.t('tabScreens') }))));
}

/**
 * newBarView creates a bar: a name, an id made from it (editable), and
 * what to start from: presso's defaults with the standard menu or an
 * empty one, or a copy of another bar's settings and menu. A new bar
 * starts closed; it is opened when its event begins.
 */
export async function newBarView(ctx) {
  const { s } = ctx;
  const bars = await listBars();
  const taken = new Set(bars.map((b) => b.id));
  const err = h('p', { class: 'form-error', role: 'alert' });
  const errors = new Errors(err);
  const name = errors.add('name', field('nb-name', s.t('fieldName'), h('input', { required: true, maxlength: '100', autocomplete: 'off' }), s.t('fieldNameHint')));
  const id = errors.add('id', field('nb-id', s.t('fieldId'), h('input', { required: true, maxlength: '32', pattern: '[a-z0-9][a-z0-9_-]{0,31}', autocapitalize: 'none', spellcheck: 'false', autocomplete: 'off' }), s.t('fieldIdHint')));
  const from = field('nb-from', s.t('startFrom'), select([
    ['defaults', s.t('fromDefaults')],
    ['empty', s.t('fromEmpty')],
    ...bars.map((b) => [`copy:${b.id}`, s.t('fromCopy', { bar: b.name })]),
  ], 'defaults'), s.t('startFromHint'));
  let idTouched = false;
  let created = false;
  id.input.addEventListener('input', () => { idTouched = true; });
  name.input.addEventListener('input', () => { if (!idTouched) id.input.value = slug(name.input.value); });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: s.t('createBar') });
  const f = h('form', { class: 'card', method: 'post', novalidate: true },
    h('div', { class: 'form-grid' }, name.el, id.el),
    from.el, err,
    h('div', { class: 'form-actions' }, submit, h('a', { class: 'btn btn-quiet', href: '#/', text: s.t('cancel') })));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const body = { id: id.input.value.trim(), name: name.input.value.trim() };
    if (!body.name) return errors.show('name', s.t('needName'));
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(body.id)) return errors.show('id', s.t('badId'));
    if (taken.has(body.id)) return errors.show('id', s.t('idTaken', { id: body.id }));
    await busy(submit, async () => {
      try {
        const made = await post('/api/events', startingPoint(from.input.value, body));
        created = true;
        ctx.say(s.t('createdBar', { bar: made.name }));
        ctx.go(`/bar/${made.id}`);
      } catch (e) {
        if (e.status === 401) return ctx.failed(e);
        errors.show(e.field, e.status === 0 ? s.t('networkError') : e.message);
      }
    });
  });
  ctx.main.replaceChildren(
    h('p', { class: 'crumb' }, h('a', { href: '#/', text: s.t('backToBars') })),
    h('h1', { tabindex: '-1', text: s.t('newBarTitle') }),
    f);
  name.input.focus();
  return { dirty: () => !created && name.input.value.trim() !== '' };
}

/**
 * startingPoint is the POST body for a new bar: a copy (the server copies
 * every setting and the menu, not orders or codes), or presso's defaults
 * with the standard menu or none.
 */
function startingPoint(from, body) {
  if (from === 'empty') return { ...body, menu: [] };
  if (from.startsWith('copy:')) return { ...body, copyFrom: from.slice(5) };
  return body;
}
