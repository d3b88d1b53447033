// A bar's settings: one form of every setting but the menu, laid out in
// groups. Save sends only what changed (so a barista opening the bar
// meanwhile is not undone); a refused save keeps every value and shows the
// server's message next to the field it names.

import { patch as apiPatch, enc } from '/static/shared/api.js';
import { h } from '/static/shared/dom.js';
import { field, check, select, Errors, busy, num } from '/static/admin/forms.js';
import { timeZones } from '/static/admin/data.js';

/** LANGUAGE_NAMES are presso's languages in their own words. */
export const LANGUAGE_NAMES = [['en', 'English'], ['de', 'Deutsch'], ['fr', 'Français'], ['es', 'Español'], ['ja', '日本語']];

// The form, group by group: [server field, kind, label key, hint key, min, max].
const GROUPS = [
  ['groupGeneral', [
    ['name', 'text', 'fieldName', 'fieldNameHint'],
    ['timezone', 'zone', 'fieldTimezone', 'fieldTimezoneHint'],
    ['dailyReset', 'check', 'fieldDailyReset', 'fieldDailyResetHint'],
    ['language', 'language', 'fieldLanguage', 'fieldLanguageHint'],
    ['allowCustomerLanguage', 'check', 'fieldCustomerLanguage', 'fieldCustomerLanguageHint'],
  ]],
  ['groupSignIn', [
    ['signInMode', 'mode', 'fieldSignInMode', 'fieldSignInModeHint'],
    ['limits.windowSeconds', 'seconds', 'fieldWindow', 'fieldWindowHint', 10, 86400],
    ['limits.drinksPerCode', 'count', 'fieldDrinksPerCode', 'fieldDrinksPerCodeHint', 1, 10000],
  ]],
  ['groupQueue', [
    ['limits.maxQueue', 'count', 'fieldMaxQueue', 'fieldMaxQueueHint', 1, 100000],
    ['limits.maxPerCustomer', 'count', 'fieldMaxPerCustomer', 'fieldMaxPerCustomerHint', 1, 1000],
    ['timeouts.customerSeconds', 'seconds', 'fieldCustomerTimeout', 'fieldCustomerTimeoutHint', 1, 86400],
    ['timeouts.baristaSeconds', 'seconds', 'fieldBaristaTimeout', 'fieldBaristaTimeoutHint', 1, 86400],
    ['readySeconds', 'seconds', 'fieldReady', 'fieldReadyHint', 10, 86400],
  ]],
  ['groupTexts', [
    ['welcomeText', 'long', 'fieldWelcome', 'fieldWelcomeHint'],
    ['pickupText', 'long', 'fieldPickup', 'fieldPickupHint'],
    ['speak', 'check', 'fieldSpeak', 'fieldSpeakHint'],
  ]],
];

/** read returns the value at a dotted path ("limits.maxQueue"). */
const read = (bar, path) => path.split('.').reduce((o, k) => o?.[k], bar);

/** duration says a number of seconds in words, e.g. "5 minutes". */
export function duration(s, secs) {
  if (!Number.isFinite(secs) || secs < 0) return '';
  const parts = [];
  const unit = (n, u) => parts.push(new Intl.NumberFormat(s.lang, { style: 'unit', unit: u, unitDisplay: 'long' }).format(n));
  const hrs = Math.floor(secs / 3600), mins = Math.floor((secs % 3600) / 60), rest = secs % 60;
  if (hrs) unit(hrs, 'hour');
  if (mins) unit(mins, 'minute');
  if (rest || !parts.length) unit(rest, 'second');
  return s.list(parts);
}

/** control builds one setting's field; it returns {el, get(), set(v), error(), input}. */
function control(s, bar, [path, kind, label, hint, min, max]) {
  const id = `set-${path.replace('.', '-')}`;
  if (kind === 'check') {
    const c = check(id, s.t(label), !!read(bar, path), s.t(hint));
    return { ...c, get: () => c.input.checked, set: (v) => { c.input.checked = !!v; } };
  }
  if (kind === 'mode') {
    const radios = [['name', s.t('modeName')], ['code', s.t('modeCode')]].map(([v, text]) =>
      h('label', { class: 'check' }, h('input', { type: 'radio', name: id, value: v, checked: read(bar, path) === v }), h('span', { text })));
    const err = h('p', { id: `${id}-error`, class: 'form-error' });
    const set = h('fieldset', { id, 'aria-describedby': `${id}-hint ${id}-error` },
      h('legend', { class: 'label', text: s.t(label) }), h('div', { class: 'radios' }, radios));
    return {
      el: h('div', { class: 'field' }, set, h('p', { id: `${id}-hint`, class: 'hint', text: s.t(hint) }), err),
      input: radios[0].querySelector('input'),
      get: () => set.querySelector('input:checked')?.value || '',
      set: (v) => { for (const r of set.querySelectorAll('input')) r.checked = r.value === v; },
      error: (msg) => { err.textContent = msg || ''; },
    };
  }
  let input;
  if (kind === 'zone') input = select(timeZones(bar.timezone), bar.timezone);
  else if (kind === 'language') input = select(LANGUAGE_NAMES, bar.language);
  else if (kind === 'long') input = h('textarea', { maxlength: '500', rows: '3' });
  else if (kind === 'text') input = h('input', { required: true, maxlength: '100', autocomplete: 'off' });
  else input = h('input', { type: 'number', inputmode: 'numeric', min: String(min), max: String(max), step: '1', required: true });
  const f = field(id, s.t(label), input, s.t(hint));
  const numeric = kind === 'seconds' || kind === 'count';
  const c = { ...f, get: () => (numeric ? num(input) : input.value), set: (v) => { input.value = v ?? ''; } };
  if (kind === 'seconds') {
    // The hint says the seconds in words as they are typed.
    const words = h('span', { class: 'duration' });
    f.el.querySelector('.hint').append(' ', words);
    const say = () => { words.textContent = Number.isFinite(num(input)) ? `(${duration(s, num(input))})` : ''; };
    input.addEventListener('input', say);
    c.set = (v) => { input.value = v ?? ''; say(); };
  }
  c.set(read(bar, path));
  return c;
}

/** changes is the PATCH body of what differs from bar ({} when nothing). */
function changes(controls, bar) {
  const body = {};
  for (const [path, c] of controls) {
    const v = c.get();
    if (v === read(bar, path)) continue;
    const [a, b] = path.split('.');
    if (b) (body[a] ||= {})[b] = v; else body[a] = v;
  }
  return body;
}

/** settingsTab renders the settings form of page.bar into el. */
export function settingsTab(ctx, page, el) {
  const { s } = ctx;
  let base = page.bar; // what the form was filled from
  const err = h('p', { class: 'form-error', role: 'alert' });
  const errors = new Errors(err);
  const controls = new Map();
  const groups = GROUPS.map(([title, fields]) => h('fieldset', { class: 'group' },
    h('legend', { text: s.t(title) }),
    h('div', { class: 'form-grid' }, fields.map((def) => {
      const c = control(s, base, def);
      controls.set(def[0], c);
      errors.add(def[0], c);
      return c.el;
    }))));
  const status = h('p', { class: 'status', role: 'status' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'settings-save', text: s.t('save') });
  const discard = h('button', { type: 'button', class: 'btn', text: s.t('discard') });
  const bar = h('div', { class: 'savebar' }, status, discard, save);
  const f = h('form', { class: 'card settings', method: 'post', novalidate: true, 'aria-labelledby': 'tab-settings' }, groups, err, bar);
  const dirty = () => Object.keys(changes(controls, base)).length > 0;
  let justSaved = false; // "Saved." stays until the next edit
  const mark = () => {
    const d = dirty();
    if (d) justSaved = false;
    bar.classList.toggle('is-dirty', d);
    status.textContent = d ? s.t('unsaved') : justSaved ? s.t('saved') : s.t('allSaved');
    discard.disabled = !d;
  };
  const fill = (b) => {
    base = b;
    for (const [path, c] of controls) c.set(read(b, path));
    errors.clear();
    mark();
  };
  f.addEventListener('input', mark);
  f.addEventListener('change', mark);
  discard.addEventListener('click', () => fill(page.bar));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const body = changes(controls, base);
    if (!Object.keys(body).length) return;
    for (const [path, c] of controls) {
      if (c.input?.type === 'number' && !Number.isFinite(c.get())) return errors.show(path, s.t('needNumber'));
    }
    await busy(save, async () => {
      try {
        page.bar = await apiPatch(`/api/events/${enc(page.bar.id)}`, body);
        justSaved = true;
        fill(page.bar);
        ctx.say(s.t('saved'));
      } catch (e) {
        if (e.status === 401) return ctx.failed(e);
        errors.show(e.field, e.status === 0 ? s.t('networkError') : e.message);
        mark();
        status.textContent = s.t('notSaved');
      }
    });
  });
  el.replaceChildren(f);
  mark();
  return {
    dirty,
    // Someone else's change: taken over when nothing is being edited.
    onBar(b) { if (!dirty()) fill(b); },
  };
}
