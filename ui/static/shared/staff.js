// Staff sign-in for the staff apps (the gate) and for the home page's
// staff form (its parts). The server checks every request; the role check
// here only decides which screen to show.

import { get, post, del } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';

/** canUse reports whether me may open the app for bar event. */
export function canUse(me, event, roles) {
  return !!me && me.kind === 'staff' && roles.includes(me.role) && (me.role === 'admin' || me.eventId === event);
}

/**
 * staffGate resolves with the signed-in staff member once one who may use
 * the app is signed in, showing a sign-in form in section meanwhile.
 * s: the app's Strings (i18n.js), with signInTitle, username, password,
 * signIn, signOut, wrongAccount {name} {role} and networkError.
 */
export async function staffGate(section, event, roles, s) {
  let me = null;
  try {
    me = await get('/api/me');
  } catch {
    // 401 (not signed in) or no network: both start at the form.
  }
  if (canUse(me, event, roles)) return me;
  return new Promise((resolve) => form(section, event, roles, s, me, resolve));
}

function form(section, event, roles, s, me, resolve) {
  const wrongAccount = (who) => s.t('wrongAccount', { name: who.name, role: who.role });
  const fields = credentials(s, { id: 'signin-error' });
  const { user, pass, err, submit } = fields;
  const wrong = me ? h('div', { class: 'notice' },
    h('p', { text: wrongAccount(me) }),
    h('button', {
      type: 'button', class: 'btn', text: s.t('signOut'),
      onclick: async () => { try { await del('/api/session'); } catch { /* signed out anyway */ } location.reload(); },
    })) : null;

  // method=post: should the script ever fail mid-way, a native submit
  // must not put the password in the URL.
  const f = h('form', { class: 'card signin', method: 'post', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', text: s.t('signInTitle') }),
    wrong,
    h('label', { for: 'signin-user', text: s.t('username') }), user,
    h('label', { for: 'signin-pass', text: s.t('password') }), pass,
    err,
    submit);
  onSignIn(f, fields, s, (who) => {
    if (!canUse(who, event, roles)) return wrongAccount(who);
    section.hidden = true;
    resolve(who);
    return '';
  });
  patch(section, f);
  section.hidden = false;
  user.focus();
}

/**
 * credentials builds the parts of a staff sign-in form: the username and
 * password inputs, the error line (with errAttrs) and the submit button.
 * s: Strings with signIn.
 */
export function credentials(s, errAttrs = {}) {
  return {
    user: h('input', { id: 'signin-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' }),
    pass: h('input', { id: 'signin-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    err: h('p', { class: 'form-error', role: 'alert', ...errAttrs }),
    submit: h('button', { type: 'submit', class: 'btn btn-primary', text: s.t('signIn') }),
  };
}

/**
 * onSignIn signs in with the credentials of form f when it is submitted,
 * busy meanwhile, and hands the account to accept, which returns the error
 * to show ('' when it took the account). A failed sign-in shows why.
 * s: Strings with networkError.
 */
export function onSignIn(f, { user, pass, err, submit }, s, accept) {
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    err.textContent = '';
    try {
      const who = await post('/api/staff/session', { username: user.value.trim(), password: pass.value });
      err.textContent = await accept(who);
    } catch (e) {
      err.textContent = e.status === 0 ? s.t('networkError') : e.message;
      pass.select();
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  });
}
