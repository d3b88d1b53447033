// Form pieces of the admin console: labelled fields with their own error
// line, a registry that puts a server's 400 next to the field it names,
// busy buttons, modal dialogs and a password shown once.

import { h } from '/static/shared/dom.js';

/**
 * field labels a control (input, select or textarea) and gives it a hint
 * and an error line, both tied to it with aria-describedby. Returns
 * {el, input, error(msg)}.
 */
export function field(id, label, input, hint) {
  input.id = id;
  input.setAttribute('aria-describedby', [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' '));
  const err = h('p', { id: `${id}-error`, class: 'form-error' });
  return {
    input,
    el: h('div', { class: 'field' },
      h('label', { for: id, text: label }),
      input,
      hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
      err),
    error(msg) {
      err.textContent = msg || '';
      if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    },
  };
}

/** check is a labelled checkbox with an optional hint. */
export function check(id, label, checked, hint) {
  const input = h('input', { type: 'checkbox', id, checked, 'aria-describedby': hint ? `${id}-hint` : null });
  const err = h('p', { id: `${id}-error`, class: 'form-error' });
  return {
    input,
    el: h('div', { class: 'field' },
      h('label', { class: 'check', for: id }, input, h('span', { text: label })),
      hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
      err),
    error(msg) { err.textContent = msg || ''; },
  };
}

/** select builds a <select> of [value, label] pairs (or {group, options}). */
export function select(options, value) {
  const opt = ([v, label]) => h('option', { value: v, selected: v === value, text: label });
  return h('select', {}, options.map((o) => (o.group ? h('optgroup', { label: o.group }, o.options.map(opt)) : opt(o))));
}

/**
 * Errors puts a refused request's message where it belongs: next to the
 * field the server named, or the nearest enclosing one ("menu.latte.name"
 * falls back to "menu.latte", then "menu"), else in the form's own alert.
 */
export class Errors {
  constructor(general) {
    this.general = general; // an element with role=alert
    this.fields = new Map(); // server field name → {error(msg), input}
  }

  add(name, f) { this.fields.set(name, f); return f; }

  clear() {
    this.general.textContent = '';
    for (const f of this.fields.values()) f.error('');
  }

  /** show displays msg at field (or the general line) and focuses it. */
  show(name, msg) {
    this.clear();
    let key = name || '';
    while (key && !this.fields.has(key)) key = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
    const f = key ? this.fields.get(key) : null;
    if (!f) {
      this.general.textContent = msg;
      return false;
    }
    f.error(msg);
    f.input?.focus();
    return true;
  }
}

/**
 * busy runs fn with button disabled and marked busy, and gives focus back
 * to it afterwards when nothing else took it.
 */
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (document.activeElement === document.body && button.isConnected) button.focus();
  }
}

/** modal shows content in a native modal dialog; Escape closes it. */
export function modal(titleId, content, back = document.activeElement) {
  const dlg = h('dialog', { class: 'dialog dialog-wide', 'aria-labelledby': titleId }, content);
  dlg.addEventListener('close', () => {
    dlg.remove();
    if (back && back.isConnected) back.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

// No 0/O, 1/l/I: a password read out over a counter must survive it.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * newPassword is 12 random characters in three groups, "k7qm-3xvp-h9tz",
 * never containing username (the server refuses those).
 */
export function newPassword(username = '') {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
    const pw = `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
    if (!username || !pw.includes(username.toLowerCase())) return pw;
  }
}

/**
 * secret shows a password once, with a copy button. s: the console's
 * strings (passwordOnce, copy, copied).
 */
export function secret(s, password, id = 'secret') {
  const done = h('span', { class: 'ok', role: 'status' });
  return h('div', { class: 'secret-wrap' },
    h('p', { class: 'hint', text: s.t('passwordOnce') }),
    h('div', { class: 'secret' },
      h('code', { id, text: password }),
      h('button', {
        type: 'button', class: 'btn', text: s.t('copy'),
        onclick: async () => {
          try { await navigator.clipboard.writeText(password); done.textContent = s.t('copied'); } catch { done.textContent = ''; }
        },
      }),
      done));
}

/** num reads a number input: an integer, or NaN when it is not one. */
export const num = (input) => (input.value.trim() === '' ? NaN : Number(input.value));
