// Pairing a TV as a bar's display (/pair): the admin console shows a
// short code; typed here, it signs this screen in as the bar's display
// account and opens the Display. No password is typed on a remote. The
// code works once, for a few minutes (POST /api/pair).

import { post } from '/static/shared/api.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';

const $ = (id) => document.getElementById(id);

main();

async function main() {
  const s = await load('pair', pickLanguage(browserLanguages(), 'en'));
  document.title = s.t('title');
  $('title').textContent = s.t('heading');
  $('intro').textContent = s.t('intro');
  $('code-label').textContent = s.t('codeLabel');
  $('code-hint').textContent = s.t('codeHint');
  $('submit').textContent = s.t('pair');
  const code = $('code'), err = $('code-error'), submit = $('submit');
  code.focus();
  $('form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    code.removeAttribute('aria-invalid');
    if (!code.value.trim()) {
      code.setAttribute('aria-invalid', 'true');
      err.textContent = s.t('needCode');
      code.focus();
      return;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    try {
      const res = await post('/api/pair', { code: code.value });
      location.assign(res.location);
    } catch (e) {
      const why = {
        invalid_code: () => s.t('unknown'), pairing_expired: () => s.t('expired'),
        pairing_used: () => s.t('used'), rate_limited: () => s.t('tooMany'),
      }[e.code];
      code.setAttribute('aria-invalid', 'true');
      err.textContent = why ? why() : e.status === 0 ? s.t('networkError') : e.message;
      code.select();
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
  });
}
