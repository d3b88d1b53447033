// My account: change my own password. The server ends my other sessions
// and gives this one a fresh cookie.

import { post } from '/static/shared/api.js';
import { h } from '/static/shared/dom.js';
import { field, Errors, busy } from '/static/admin/forms.js';

/** accountView is the change-my-password form. */
export async function accountView(ctx) {
  const { s, me } = ctx;
  const err = h('p', { class: 'form-error', role: 'alert' });
  const errors = new Errors(err);
  const pw = (id, label, auto, hint) => field(id, label, h('input', { type: 'password', required: true, autocomplete: auto, maxlength: '128' }), hint);
  const current = errors.add('current', pw('pw-current', s.t('currentPassword'), 'current-password'));
  const next = errors.add('new', pw('pw-new', s.t('newPassword'), 'new-password', s.t('fieldPasswordHint')));
  const again = errors.add('again', pw('pw-again', s.t('repeatPassword'), 'new-password'));
  const done = h('p', { class: 'ok', role: 'status', id: 'pw-done' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: s.t('changePassword') });
  // The username field lets password managers file the new password under
  // the right account.
  const f = h('form', { class: 'card', method: 'post', novalidate: true, 'aria-labelledby': 'pw-title' },
    h('h2', { id: 'pw-title', text: s.t('changePassword') }),
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: me.name, hidden: true, readonly: true }),
    current.el, next.el, again.el, err,
    h('div', { class: 'form-actions' }, submit),
    done);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    done.textContent = '';
    if (!current.input.value) return errors.show('current', s.t('needCurrent'));
    if (next.input.value.length < 8) return errors.show('new', s.t('passwordShort'));
    if (next.input.value !== again.input.value) return errors.show('again', s.t('passwordsDiffer'));
    await busy(submit, async () => {
      try {
        await post('/api/me/password', { current: current.input.value, new: next.input.value });
        for (const fl of [current, next, again]) fl.input.value = '';
        done.textContent = s.t('passwordChanged');
      } catch (e) {
        if (e.status === 401) return ctx.failed(e);
        errors.show(e.field, e.status === 0 ? s.t('networkError') : e.message);
      }
    });
  });
  ctx.main.replaceChildren(
    h('h1', { tabindex: '-1', text: s.t('accountTitle') }),
    h('p', { text: s.t('accountIntro', { name: me.name }) }),
    f);
  return { dirty: () => !!(current.input.value || next.input.value) };
}
