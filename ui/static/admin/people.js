// Staff accounts: the list with role, bar, last sign-in and whether
// disabled; a new account; a role or bar change; disable and enable; a new
// password. A new password is made here, sent once and shown once: the
// server keeps only its hash. Disabling an account, or a new password,
// role or bar, ends its sessions at once (its board shows the sign-in).

import { get, post, patch as apiPatch, enc } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';
import { confirm } from '/static/shared/dialog.js';
import { field, select, Errors, busy, modal, newPassword, secret } from '/static/admin/forms.js';
import { listBars } from '/static/admin/data.js';

const ROLE_KEYS = { admin: 'roleAdmin', barista: 'roleBarista', display: 'roleDisplay' };

/** staffView lists the accounts, with the form for a new one. */
export async function staffView(ctx) {
  const { s } = ctx;
  const [{ staff }, bars] = await Promise.all([get('/api/staff'), listBars()]);
  const st = { staff: staff || [], bars };
  const tbody = h('tbody');
  const paint = () => patch(tbody, st.staff.map((a) => row(ctx, st, a, paint)));
  const reload = async () => {
    st.staff = (await get('/api/staff')).staff || [];
    paint();
  };
  paint();
  ctx.main.replaceChildren(
    h('h1', { tabindex: '-1', text: s.t('staffTitle') }),
    h('section', { class: 'card', 'aria-labelledby': 'accounts-title' },
      h('h2', { id: 'accounts-title', text: s.t('accountsTitle') }),
      h('div', { class: 'table-wrap' }, h('table', { id: 'staff-table' },
        h('caption', { class: 'visually-hidden', text: s.t('accountsTitle') }),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: s.t('colUser') }),
          h('th', { scope: 'col', text: s.t('colRole') }),
          h('th', { scope: 'col', text: s.t('colBar') }),
          h('th', { scope: 'col', text: s.t('colLastSignIn') }),
          h('th', { scope: 'col', text: s.t('colState') }),
          h('th', { scope: 'col', text: s.t('colActions') }))),
        tbody))),
    newAccount(ctx, st, reload));
  return {};
}

const barName = (st, id) => st.bars.find((b) => b.id === id)?.name || id;

function row(ctx, st, a, paint) {
  const { s } = ctx;
  const apply = async (btn, change, said) => {
    await busy(btn, async () => {
      try {
        const next = await apiPatch(`/api/staff/${enc(a.username)}`, change);
        st.staff[st.staff.findIndex((x) => x.username === a.username)] = next;
        paint();
        ctx.say(said);
      } catch (e) { ctx.failed(e); }
    });
  };
  const toggle = h('button', {
    type: 'button', class: a.disabled ? 'btn' : 'btn btn-danger-outline', dataset: { key: `${a.username}:disable` },
    text: a.disabled ? s.t('enable') : s.t('disable'),
    'aria-label': a.disabled ? s.t('enableNamed', { name: a.username }) : s.t('disableNamed', { name: a.username }),
    onclick: async (ev) => {
      const btn = ev.currentTarget;
      if (!a.disabled && !(await confirm({ title: s.t('confirmDisableTitle', { name: a.username }), text: s.t('confirmDisableText'), yes: s.t('disable'), no: s.t('cancel'), danger: true }))) return;
      await apply(btn, { disabled: !a.disabled }, a.disabled ? s.t('enabledAccount', { name: a.username }) : s.t('disabledAccount', { name: a.username }));
    },
  });
  return h('tr', { class: a.disabled ? 'is-disabled' : '', dataset: { user: a.username } },
    h('th', { scope: 'row', text: a.username }),
    h('td', { text: s.t(ROLE_KEYS[a.role] || 'roleBarista') }),
    h('td', { text: a.eventId ? barName(st, a.eventId) : s.t('allBars') }),
    h('td', {}, a.lastSignInAt ? h('time', { datetime: a.lastSignInAt, text: s.dateTime(new Date(a.lastSignInAt)) }) : s.t('never')),
    h('td', { text: a.disabled ? s.t('accountDisabled') : s.t('accountEnabled') }),
    h('td', { class: 'row-cell-actions' }, h('div', { class: 'row-actions' },
      h('button', {
        type: 'button', class: 'btn', dataset: { key: `${a.username}:edit` }, text: s.t('edit'),
        'aria-label': s.t('editNamed', { name: a.username }), onclick: () => editAccount(ctx, st, a, paint),
      }),
      toggle,
      h('button', {
        type: 'button', class: 'btn', dataset: { key: `${a.username}:password` }, text: s.t('newPasswordButton'),
        'aria-label': s.t('newPasswordNamed', { name: a.username }), onclick: () => resetPassword(ctx, a),
      }))));
}

/**
 * roleAndBar builds the role select and the bar select, the bar one
 * hidden for admins (who belong to every bar).
 */
function roleAndBar(s, st, prefix, errors, role, eventId) {
  const roleF = errors.add('role', field(`${prefix}-role`, s.t('fieldRole'),
    select([['barista', s.t('roleBarista')], ['display', s.t('roleDisplay')], ['admin', s.t('roleAdmin')]], role), s.t('fieldRoleHint')));
  const open = st.bars.filter((b) => !b.ended || b.id === eventId);
  const barF = errors.add('eventId', field(`${prefix}-bar`, s.t('fieldBar'),
    select(open.map((b) => [b.id, b.name]), eventId || open[0]?.id || ''), s.t('fieldBarHint')));
  const sync = () => { barF.el.hidden = roleF.input.value === 'admin'; };
  roleF.input.addEventListener('change', sync);
  sync();
  return { roleF, barF, value: () => ({ role: roleF.input.value, eventId: roleF.input.value === 'admin' ? '' : barF.input.value }) };
}

/** newAccount is the form for a new staff account; its password is shown once. */
function newAccount(ctx, st, reload) {
  const { s } = ctx;
  const err = h('p', { class: 'form-error', role: 'alert' });
  const errors = new Errors(err);
  const user = errors.add('username', field('na-user', s.t('username'), h('input', { required: true, maxlength: '64', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }), s.t('fieldUserHint')));
  let suggested = newPassword();
  const pass = errors.add('password', field('na-pass', s.t('password'), h('input', { required: true, minlength: '8', maxlength: '128', autocomplete: 'new-password', spellcheck: 'false', value: suggested }), s.t('fieldPasswordHint')));
  const rb = roleAndBar(s, st, 'na', errors, 'barista', '');
  const done = h('div', { id: 'na-done', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'na-submit', text: s.t('createAccount') });
  const f = h('form', { class: 'card', method: 'post', novalidate: true, 'aria-labelledby': 'na-title' },
    h('h2', { id: 'na-title', text: s.t('newAccountTitle') }),
    h('div', { class: 'form-grid' }, user.el, pass.el, rb.roleF.el, rb.barF.el),
    err,
    h('div', { class: 'form-actions' }, submit),
    done);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const body = { username: user.input.value.trim(), password: pass.input.value, ...rb.value() };
    // The suggestion happens to contain the new name: suggest another.
    if (pass.input.value === suggested && body.password.includes(body.username.toLowerCase())) {
      body.password = pass.input.value = suggested = newPassword(body.username);
    }
    if (!body.username) return errors.show('username', s.t('needUsername'));
    if (body.password.length < 8) return errors.show('password', s.t('passwordShort'));
    if (body.role !== 'admin' && !body.eventId) return errors.show('eventId', s.t('needBar'));
    await busy(submit, async () => {
      try {
        await post('/api/staff', body);
        patch(done, h('p', { class: 'ok', text: s.t('createdAccount', { name: body.username, role: s.t(ROLE_KEYS[body.role]) }) }),
          h('p', {}, s.t('signInAt'), ' ', h('strong', { text: signInPlace(body) })),
          secret(s, body.password, 'na-secret'));
        user.input.value = '';
        pass.input.value = suggested = newPassword();
        ctx.say(s.t('createdAccount', { name: body.username, role: s.t(ROLE_KEYS[body.role]) }));
        await reload();
      } catch (e) {
        if (e.status === 401) return ctx.failed(e);
        errors.show(e.field, e.status === 0 ? s.t('networkError') : e.message);
      }
    });
  });
  return f;
}

/** signInPlace is where an account signs in: its app's address. */
function signInPlace(a) {
  const app = a.role === 'admin' ? '/admin' : `/${a.role === 'display' ? 'display' : 'barista'}/${a.eventId}`;
  return `${location.origin}${app}`;
}

/** editAccount changes an account's role or bar in a dialog. */
function editAccount(ctx, st, a, paint) {
  const { s } = ctx;
  const err = h('p', { class: 'form-error', role: 'alert' });
  const errors = new Errors(err);
  const rb = roleAndBar(s, st, 'ea', errors, a.role, a.eventId);
  const save = h('button', { type: 'submit', class: 'btn btn-primary', text: s.t('save') });
  const f = h('form', { method: 'dialog', novalidate: true },
    h('h2', { id: 'ea-title', text: s.t('editTitle', { name: a.username }) }),
    h('p', { class: 'hint', text: s.t('editHint') }),
    rb.roleF.el, rb.barF.el, err,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', text: s.t('cancel'), onclick: () => dlg.close() }),
      save));
  const dlg = modal('ea-title', f);
  rb.roleF.input.focus();
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = rb.value();
    const change = {};
    if (v.role !== a.role) change.role = v.role;
    if (v.eventId !== (a.eventId || '') && v.role !== 'admin') change.eventId = v.eventId;
    if (!Object.keys(change).length) { dlg.close(); return; }
    await busy(save, async () => {
      try {
        const next = await apiPatch(`/api/staff/${enc(a.username)}`, change);
        st.staff[st.staff.findIndex((x) => x.username === a.username)] = next;
        dlg.close();
        paint();
        ctx.say(s.t('savedAccount', { name: a.username }));
      } catch (e) {
        if (e.status === 401) return ctx.failed(e);
        errors.show(e.field, e.status === 0 ? s.t('networkError') : e.message);
      }
    });
  });
}

/** resetPassword gives an account a new password, shown once. */
async function resetPassword(ctx, a) {
  const { s } = ctx;
  if (!(await confirm({ title: s.t('confirmPasswordTitle', { name: a.username }), text: s.t('confirmPasswordText'), yes: s.t('newPasswordButton'), no: s.t('cancel') }))) return;
  const password = newPassword(a.username);
  try {
    await apiPatch(`/api/staff/${enc(a.username)}`, { password });
  } catch (e) {
    ctx.failed(e);
    return;
  }
  const f = h('form', { method: 'dialog' },
    h('h2', { id: 'pw-title', text: s.t('passwordSetTitle', { name: a.username }) }),
    secret(s, password, 'pw-secret'),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', text: s.t('done') })));
  modal('pw-title', f);
  ctx.say(s.t('passwordSetTitle', { name: a.username }));
}
