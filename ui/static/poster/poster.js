// The poster: a printable sign telling customers how to order. A printed QR
// code would be dead within minutes (codes rotate), so the print says where
// the live code is; on screen, staff also see the current code, which makes
// the page usable as a small extra sign.

import { get, enc, serverNow, ms } from '/static/shared/api.js';
import { h, patch, mmss, eventId } from '/static/shared/dom.js';
import { load, pickLanguage } from '/static/shared/i18n.js';

const $ = (id) => document.getElementById(id);
const event = eventId();
const STEPS = { name: ['step1', 'step2', 'step3Name', 'step4'], code: ['step1', 'step2', 'step3Code', 'step4'] };

/** s is the bar's language's strings: the poster speaks to its customers. */
let s = null;

main();

async function main() {
  let bar = null;
  try { bar = await get(`/api/events/${enc(event)}`); } catch { /* said below, in English */ }
  s = await load('poster', pickLanguage([bar?.language], 'en'));
  $('print').textContent = s.t('print');
  $('print').addEventListener('click', () => window.print());
  $('toolbar-hint').textContent = s.t('toolbarHint');
  $('tagline').textContent = s.t('tagline');
  $('look-up').textContent = s.t('lookUp');
  if (!bar) {
    $('bar-name').textContent = s.t('unknownBar');
    return;
  }
  document.title = s.t('title', { bar: bar.name });
  $('bar-name').textContent = bar.name;
  patch($('steps'), STEPS[bar.signInMode === 'code' ? 'code' : 'name'].map((k) => h('li', { text: s.t(k) })));
  $('rotate-note').textContent = s.t('rotateNote', { n: Math.round((bar.limits?.windowSeconds || 300) / 60) });
  live();
}

/** live shows the current code to staff who may see it; others get nothing. */
async function live() {
  let q;
  try {
    q = await get(`/api/events/${enc(event)}/qr`);
  } catch {
    return; // not staff of this bar: the poster is complete without it
  }
  $('live').hidden = false;
  $('live-title').textContent = s.t('liveTitle');
  const img = $('live-qr');
  img.alt = s.t('liveAlt');
  img.src = `/api/events/${enc(event)}/qr.svg?v=${enc(q.code)}`;
  const paint = () => {
    const left = ms(q.windowEnd) - serverNow();
    $('live-meta').textContent = s.t('liveMeta', { n: q.remaining, t: mmss(left) });
    if (left <= 0) { clearInterval(timer); setTimeout(live, 1000); }
  };
  const timer = setInterval(paint, 1000);
  paint();
}
