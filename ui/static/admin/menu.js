// The menu editor. The whole menu is a draft until Save, which sends it in
// one PATCH (one transaction on the server: a menu is never half saved).
// Drinks are added, renamed, reordered with Up and Down (keyboard and
// screen reader friendly: focus stays on the moved drink and its new place
// is announced) and removed; each has an icon from presso's set, its
// availability and modifier groups, each group with its options and a
// default. New items get ids made from their names; saved ones keep theirs,
// since orders name them. A refused save keeps the draft and shows the
// server's message at the drink or group it names.

import { patch as apiPatch, enc } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';
import { field, check, select, Errors, busy } from '/static/admin/forms.js';
import { slug, uniqueId } from '/static/admin/data.js';

/**
 * ICONS are the drink icons presso knows: the names its built-in menu and
 * tests use. No app draws them yet; they travel with each order's drink.
 */
export const ICONS = [
  ['espresso', 'iconEspresso'],
  ['americano', 'iconAmericano'],
  ['flat-white', 'iconFlatWhite'],
  ['cappuccino', 'iconCappuccino'],
  ['latte', 'iconLatte'],
];

let keys = 0;
const key = () => `k${++keys}`;

/** toDraft gives every drink, group and option a local key for focus. */
function toDraft(menu) {
  return structuredClone(menu || []).map((d) => ({
    ...d, _k: key(),
    modifiers: (d.modifiers || []).map((g) => ({ ...g, _k: key(), options: (g.options || []).map((o) => ({ ...o, _k: key() })) })),
  }));
}

/** fromDraft is the menu as the API takes it. */
function fromDraft(draft) {
  return draft.map((d) => ({
    id: d.id, name: d.name.trim(), icon: d.icon, available: d.available,
    modifiers: d.modifiers.map((g) => ({ id: g.id, name: g.name.trim(), default: g.default, options: g.options.map((o) => ({ id: o.id, name: o.name.trim() })) })),
  }));
}

const same = (a, b) => JSON.stringify(fromDraft(a)) === JSON.stringify(fromDraft(b));

/** menuTab renders the editor for page.bar's menu into el. */
export function menuTab(ctx, page, el) {
  const ed = new Editor(ctx, page, el);
  ed.render();
  return {
    dirty: () => ed.dirty(),
    onBar: (b) => ed.changedElsewhere(b),
  };
}

class Editor {
  constructor(ctx, page, el) {
    this.ctx = ctx;
    this.s = ctx.s;
    this.page = page;
    this.el = el;
    this.base = toDraft(page.bar.menu); // the saved menu
    this.draft = toDraft(page.bar.menu);
    this.stale = false;                 // the saved menu changed while we edited
    this.list = h('ol', { class: 'drinks', id: 'drinks' });
    this.general = h('p', { class: 'form-error', role: 'alert', id: 'menu-error' });
    this.errors = new Errors(this.general);
    this.status = h('p', { class: 'status', role: 'status', id: 'menu-status' });
    this.notice = h('div', { class: 'notice', hidden: true, role: 'status' });
    this.save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'menu-save', text: this.s.t('saveMenu') });
    this.discard = h('button', { type: 'button', class: 'btn', id: 'menu-discard', text: this.s.t('discard'), onclick: () => this.reset(this.page.bar.menu) });
    this.bar = h('div', { class: 'savebar' }, this.status, this.discard, this.save);
    this.form = h('form', { method: 'post', novalidate: true, 'aria-labelledby': 'menu-title' },
      this.notice,
      this.list,
      h('p', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn', id: 'add-drink', text: this.s.t('addDrink'), onclick: () => this.addDrink() })),
      this.general,
      this.bar);
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    el.replaceChildren(h('div', { class: 'card' },
      h('h2', { id: 'menu-title', text: this.s.t('menuTitle') }),
      h('p', { class: 'hint', text: this.s.t('menuHint') }),
      this.form));
  }

  dirty() { return !same(this.draft, this.base); }

  mark() {
    const d = this.dirty();
    this.bar.classList.toggle('is-dirty', d);
    this.status.textContent = d ? this.s.t('unsaved') : this.s.t('allSaved');
    this.discard.disabled = !d;
  }

  reset(menu) {
    this.base = toDraft(menu);
    this.draft = toDraft(menu);
    this.stale = false;
    this.notice.hidden = true;
    this.errors.clear();
    this.render();
  }

  changedElsewhere(b) {
    if (same(toDraft(b.menu), this.base)) return;
    if (!this.dirty()) { this.reset(b.menu); return; }
    this.stale = true;
    patch(this.notice,
      h('p', { text: this.s.t('menuChangedElsewhere') }),
      h('button', { type: 'button', class: 'btn', text: this.s.t('loadCurrentMenu'), onclick: () => this.reset(this.page.bar.menu) }));
    this.notice.hidden = false;
  }

  render() {
    this.errors.fields.clear(); // the cards register their fields anew
    const n = this.draft.length;
    patch(this.list, n ? this.draft.map((d, i) => this.drinkCard(d, i, n)) : h('li', { class: 'menu-empty', text: this.s.t('menuEmpty') }));
    this.mark();
  }

  /** changed notes an edit that needs no re-render. */
  changed() { this.mark(); }

  drinkCard(d, i, n) {
    const s = this.s;
    const nameId = `drink-${d._k}-name`;
    const name = field(nameId, s.t('drinkName'), h('input', { value: d.name, maxlength: '100', autocomplete: 'off', dataset: { key: `${d._k}:name` } }));
    const idline = h('p', { class: 'idline' }, s.t('idIs'), ' ', h('code', { text: d.id }));
    const legend = h('legend', { class: 'visually-hidden', text: s.t('drinkN', { n: i + 1, all: n, name: d.name }) });
    name.input.addEventListener('input', () => {
      d.name = name.input.value;
      if (d._new) {
        d.id = uniqueId(slug(d.name), new Set(this.draft.filter((x) => x !== d).map((x) => x.id)), 'drink');
        idline.querySelector('code').textContent = d.id;
      }
      legend.textContent = s.t('drinkN', { n: i + 1, all: n, name: d.name });
      // The buttons say which drink they act on; keep them right without
      // rebuilding the card under the user's fingers.
      const label = d.name || s.t('unnamed');
      for (const [what, k] of [['up', 'moveUp'], ['down', 'moveDown'], ['remove', 'removeDrink']]) {
        const b = this.list.querySelector(`[data-key="${d._k}:${what}"]`);
        b?.setAttribute('aria-label', s.t(k, { name: label }));
        if (b) b.title = s.t(k, { name: label });
      }
      this.changed();
    });
    const icons = ICONS.map(([v, k]) => [v, s.t(k)]);
    if (d.icon && !icons.some(([v]) => v === d.icon)) icons.push([d.icon, d.icon]);
    if (!d.icon) icons.unshift(['', s.t('iconNone')]);
    const icon = field(`drink-${d._k}-icon`, s.t('drinkIcon'), select(icons, d.icon || ''));
    icon.el.classList.add('field-icon');
    icon.input.dataset.key = `${d._k}:icon`;
    icon.input.addEventListener('change', () => { d.icon = icon.input.value; this.changed(); });
    const avail = check(`drink-${d._k}-available`, s.t('available'), d.available);
    avail.input.dataset.key = `${d._k}:available`;
    avail.input.addEventListener('change', () => { d.available = avail.input.checked; this.changed(); });
    const err = h('p', { class: 'form-error', id: `drink-${d._k}-error` });
    this.errors.add(`menu.${d.id}`, { input: name.input, error: (m) => { err.textContent = m || ''; } });
    this.errors.add(`menu.${d.id}.name`, name);
    const btn = (what, glyph, label, disabled, onclick) => h('button', {
      type: 'button', class: 'btn btn-icon', title: label, 'aria-label': label, 'aria-disabled': disabled ? 'true' : null,
      dataset: { key: `${d._k}:${what}` }, onclick: () => { if (!disabled) onclick(); },
    }, h('span', { 'aria-hidden': 'true', text: glyph }));
    const label = d.name || s.t('unnamed');
    return h('li', { class: `card drink${d.available ? '' : ' is-unavailable'}`, dataset: { drink: d.id } },
      h('fieldset', {},
        legend,
        h('div', { class: 'drink-head' },
          name.el, icon.el, avail.el,
          h('div', { class: 'move' },
            btn('up', '↑', s.t('moveUp', { name: label }), i === 0, () => this.move(i, -1)),
            btn('down', '↓', s.t('moveDown', { name: label }), i === n - 1, () => this.move(i, 1)),
            btn('remove', '✕', s.t('removeDrink', { name: label }), false, () => this.removeDrink(i)))),
        idline, err,
        this.groups(d)));
  }

  groups(d) {
    const s = this.s;
    return h('div', { class: 'mgroups-wrap' },
      d.modifiers.length ? h('ul', { class: 'mgroups', 'aria-label': s.t('groupsOf', { name: d.name || s.t('unnamed') }) },
        d.modifiers.map((g, gi) => this.groupCard(d, g, gi))) : null,
      h('button', { type: 'button', class: 'btn', dataset: { key: `${d._k}:addgroup` }, text: s.t('addGroup'), onclick: () => this.addGroup(d) }));
  }

  groupCard(d, g, gi) {
    const s = this.s;
    const name = field(`group-${g._k}-name`, s.t('groupName'), h('input', { value: g.name, maxlength: '100', autocomplete: 'off', dataset: { key: `${g._k}:name` } }), s.t('groupNameHint'));
    name.input.addEventListener('input', () => {
      g.name = name.input.value;
      if (g._new) g.id = uniqueId(slug(g.name), new Set(d.modifiers.filter((x) => x !== g).map((x) => x.id)), 'choice');
      this.changed();
    });
    const err = h('p', { class: 'form-error', id: `group-${g._k}-error` });
    const groupErr = { input: name.input, error: (m) => { err.textContent = m || ''; } };
    this.errors.add(`menu.${d.id}.modifiers`, groupErr);
    this.errors.add(`menu.${d.id}.modifiers.${g.id}`, groupErr);
    const options = h('ul', { class: 'options', 'aria-label': s.t('optionsOf', { name: g.name || s.t('unnamed') }) },
      g.options.map((o) => this.optionRow(d, g, o)));
    this.errors.add(`menu.${d.id}.modifiers.${g.id}.default`, {
      input: options.querySelector('input[type="radio"]'), error: (m) => { err.textContent = m || ''; },
    });
    return h('li', { class: 'mgroup', dataset: { group: g.id } },
      h('div', { class: 'mgroup-head' }, name.el,
        h('button', {
          type: 'button', class: 'btn btn-danger-outline', dataset: { key: `${g._k}:remove` },
          text: s.t('removeGroup'), 'aria-label': s.t('removeGroupNamed', { name: g.name || s.t('unnamed') }),
          onclick: () => { d.modifiers.splice(gi, 1); this.render(); this.focus(`${d._k}:addgroup`); this.ctx.say(s.t('removed', { name: g.name })); },
        })),
      options,
      err,
      h('button', { type: 'button', class: 'btn', dataset: { key: `${g._k}:addoption` }, text: s.t('addOption'), onclick: () => this.addOption(g) }));
  }

  optionRow(d, g, o) {
    const s = this.s;
    const label = s.t('optionName');
    const input = h('input', { value: o.name, maxlength: '100', autocomplete: 'off', 'aria-label': label, dataset: { key: `${o._k}:name` } });
    input.addEventListener('input', () => {
      o.name = input.value;
      if (o._new) {
        const was = o.id;
        o.id = uniqueId(slug(o.name), new Set(g.options.filter((x) => x !== o).map((x) => x.id)), 'option');
        if (g.default === was) g.default = o.id;
        radio.value = o.id;
      }
      this.changed();
    });
    const radio = h('input', { type: 'radio', name: `default-${g._k}`, value: o.id, checked: g.default === o.id, dataset: { key: `${o._k}:default` } });
    radio.addEventListener('change', () => { g.default = o.id; this.changed(); });
    return h('li', { class: 'option' },
      input,
      h('label', { class: 'check' }, radio, h('span', { text: s.t('isDefault') })),
      h('button', {
        type: 'button', class: 'btn btn-icon', title: s.t('removeOption', { name: o.name || s.t('unnamed') }),
        'aria-label': s.t('removeOption', { name: o.name || s.t('unnamed') }), dataset: { key: `${o._k}:remove` },
        onclick: () => {
          g.options = g.options.filter((x) => x !== o);
          if (g.default === o.id) g.default = g.options[0]?.id || '';
          this.render();
          this.focus(`${g._k}:addoption`);
        },
      }, h('span', { 'aria-hidden': 'true', text: '✕' })));
  }

  focus(k) { this.list.querySelector(`[data-key="${CSS.escape(k)}"]`)?.focus(); }

  move(i, by) {
    const d = this.draft[i];
    this.draft.splice(i, 1);
    this.draft.splice(i + by, 0, d);
    this.render();
    this.focus(`${d._k}:${by < 0 ? 'up' : 'down'}`);
    this.ctx.say(this.s.t('moved', { name: d.name, n: i + by + 1, all: this.draft.length }));
  }

  removeDrink(i) {
    const [d] = this.draft.splice(i, 1);
    this.render();
    // Focus the drink that took its place, else the button to add one.
    const next = this.draft[Math.min(i, this.draft.length - 1)];
    if (next) this.focus(`${next._k}:name`); else document.getElementById('add-drink').focus();
    this.ctx.say(this.s.t('removedDrink', { name: d.name }));
  }

  addDrink() {
    const taken = new Set(this.draft.map((x) => x.id));
    const d = { _k: key(), _new: true, id: uniqueId('', taken, 'drink'), name: '', icon: '', available: true, modifiers: [] };
    this.draft.push(d);
    this.render();
    this.focus(`${d._k}:name`);
  }

  addGroup(d) {
    const g = { _k: key(), _new: true, id: uniqueId('', new Set(d.modifiers.map((x) => x.id)), 'choice'), name: '', default: '', options: [] };
    d.modifiers.push(g);
    this.addOption(g, false);
    this.render();
    this.focus(`${g._k}:name`);
  }

  addOption(g, render = true) {
    const o = { _k: key(), _new: true, id: uniqueId('', new Set(g.options.map((x) => x.id)), 'option'), name: '' };
    g.options.push(o);
    if (!g.default) g.default = o.id;
    if (!render) return;
    this.render();
    this.focus(`${o._k}:name`);
  }

  /** check finds what the server would refuse for want of a name. */
  check() {
    const s = this.s;
    for (const d of this.draft) {
      if (!d.name.trim()) return [`menu.${d.id}.name`, s.t('needDrinkName')];
      for (const g of d.modifiers) {
        if (!g.name.trim()) return [`menu.${d.id}.modifiers.${g.id}`, s.t('needGroupName', { drink: d.name })];
        if (!g.options.length) return [`menu.${d.id}.modifiers.${g.id}`, s.t('needOption', { group: g.name })];
        const blank = g.options.find((o) => !o.name.trim());
        if (blank) return [`menu.${d.id}.modifiers.${g.id}`, s.t('needOptionName', { group: g.name })];
      }
    }
    return null;
  }

  async submit() {
    const s = this.s;
    this.errors.clear();
    this.render(); // registers every field under its current id
    const bad = this.check();
    if (bad) { this.errors.show(...bad); return; }
    await busy(this.save, async () => {
      try {
        this.page.bar = await apiPatch(`/api/events/${enc(this.page.bar.id)}`, { menu: fromDraft(this.draft) });
        this.reset(this.page.bar.menu);
        this.status.textContent = s.t('menuSaved');
        this.ctx.say(s.t('menuSaved'));
      } catch (e) {
        if (e.status === 401) return this.ctx.failed(e);
        // The draft stays as it is: nothing was saved.
        this.errors.show(e.field, e.status === 0 ? s.t('networkError') : e.message);
        this.status.textContent = s.t('notSaved');
      }
    });
  }
}
