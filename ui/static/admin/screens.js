// A bar's screens: pairing a TV as the bar's display without typing a
// password on a remote (a one-time code and link, valid a few minutes,
// shown as a QR code too), and the bar's QR code for orders: the current
// code, its uses left, its window, and "New code now".

import { get, post, enc, ms, serverNow } from '/static/shared/api.js';
import { h, patch, mmss } from '/static/shared/dom.js';
import { busy } from '/static/admin/forms.js';
import { qrSVG } from '/static/admin/qr.js';

/** screensTab renders both cards for page.bar into el. */
export function screensTab(ctx, page, el) {
  const pair = pairing(ctx, page);
  const code = orderCode(ctx, page);
  el.replaceChildren(h('div', { class: 'qr-grid' }, pair.el, code.el));
  const timer = setInterval(() => { pair.tick(); code.tick(); }, 1000);
  return {
    close() { clearInterval(timer); },
    onBar() { code.load(); },
    onEvent(type, d) { code.onEvent(type, d); },
  };
}

/** pairing is the card that makes a one-time pairing code for a TV. */
function pairing(ctx, page) {
  const { s } = ctx;
  const out = h('div', { id: 'pairing', 'aria-live': 'polite' });
  const make = h('button', { type: 'button', class: 'btn btn-primary', id: 'pair-make', text: s.t('pairMake') });
  let p = null; // {code, url, expiresAt}
  const left = h('p', { class: 'hint', role: 'timer', 'aria-live': 'off', id: 'pair-left' });
  make.addEventListener('click', () => busy(make, async () => {
    try {
      p = await post(`/api/events/${enc(page.bar.id)}/pairings`);
      show();
      ctx.say(s.t('pairMade', { code: p.code }));
    } catch (e) { ctx.failed(e); }
  }));
  const show = () => {
    const where = `${new URL(p.url).origin}/pair`;
    make.textContent = s.t('pairAgain');
    patch(out,
      h('ol', { class: 'steps' },
        h('li', {}, s.t('pairStepOpen'), ' ', h('strong', { id: 'pair-where', text: where })),
        h('li', {}, s.t('pairStepType'), ' ', h('span', { class: 'pair-code', id: 'pair-code', text: p.code }))),
      left,
      h('p', { text: s.t('pairOrScan') }),
      qrSVG(p.url, s.t('pairQrLabel', { bar: page.bar.name })),
      h('p', { class: 'hint' }, s.t('pairLink'), ' ', h('a', { id: 'pair-link', href: p.url, text: p.url })),
      h('p', { class: 'hint', text: s.t('pairOnce') }));
    tick();
  };
  const tick = () => {
    if (!p) return;
    const rest = ms(p.expiresAt) - serverNow();
    left.textContent = rest > 0 ? s.t('pairValid', { t: mmss(rest) }) : s.t('pairExpired');
    out.classList.toggle('is-expired', rest <= 0);
  };
  return {
    tick,
    el: h('section', { class: 'card', 'aria-labelledby': 'pair-title' },
      h('h2', { id: 'pair-title', text: s.t('pairTitle') }),
      h('p', { text: s.t('pairIntro') }),
      make,
      out),
  };
}

/** orderCode is the card of the bar's current QR code for orders. */
function orderCode(ctx, page) {
  const { s } = ctx;
  let q = null;
  let failed = null;
  let loading = false;
  const body = h('div', { id: 'qr-now' });
  const left = h('dd', { id: 'qr-remaining' });
  const ends = h('span', { id: 'qr-ends', role: 'timer', 'aria-live': 'off' });
  const rotate = h('button', { type: 'button', class: 'btn', id: 'qr-rotate', text: s.t('qrRotate') });
  const said = h('p', { class: 'ok', role: 'status' });
  rotate.addEventListener('click', () => busy(rotate, async () => {
    try {
      q = await post(`/api/events/${enc(page.bar.id)}/qr/rotate`);
      failed = null;
      paint();
      said.textContent = s.t('qrRotated', { code: q.code });
    } catch (e) { ctx.failed(e); }
  }));
  const paint = () => {
    if (failed) {
      rotate.hidden = true;
      patch(body, h('p', { text: failed.code === 'bar_ended' ? s.t('qrEnded') : failed.message }));
      return;
    }
    if (!q) return;
    rotate.hidden = false;
    patch(body,
      h('img', { class: 'qr-img', src: `/api/events/${enc(page.bar.id)}/qr.svg?v=${enc(q.code)}`, alt: s.t('qrAlt', { bar: page.bar.name }), width: '256', height: '256' }),
      h('dl', { class: 'facts' },
        h('dt', { text: s.t('qrCode') }), h('dd', {}, h('code', { class: 'big-code', id: 'qr-code', text: q.code })),
        h('dt', { text: s.t('qrUses') }), left,
        h('dt', { text: s.t('qrEnds') }), h('dd', {}, ends)),
      page.bar.open ? null : h('p', { class: 'notice', text: s.t('qrClosedNote') }));
    tick();
  };
  const tick = () => {
    if (!q) return;
    left.textContent = s.t('qrUsesLeft', { n: q.remaining, all: q.drinksPerCode });
    const rest = ms(q.windowEnd) - serverNow();
    ends.textContent = s.t('qrEndsIn', { t: mmss(rest), at: s.time(new Date(q.windowEnd)) });
    if (rest <= 0 && !loading) load();
  };
  const load = async () => {
    loading = true;
    try {
      q = await get(`/api/events/${enc(page.bar.id)}/qr`);
      failed = null;
    } catch (e) {
      if (e.status === 401) return ctx.failed(e);
      failed = e;
      q = null;
    } finally {
      loading = false;
    }
    paint();
  };
  load();
  return {
    tick,
    load,
    onEvent(type, d) {
      // Every order taken from the code says what is left of it.
      if (type === 'Validator.NewOrder' && q && typeof d.remaining === 'number' && (!d.windowEnd || ms(d.windowEnd) === ms(q.windowEnd))) {
        q.remaining = d.remaining;
        tick();
      }
    },
    el: h('section', { class: 'card', 'aria-labelledby': 'qr-title' },
      h('h2', { id: 'qr-title', text: s.t('qrTitle') }),
      h('p', { text: s.t('qrIntro') }),
      body,
      h('div', { class: 'form-actions' }, rotate),
      said),
  };
}
