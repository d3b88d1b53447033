// The poster: a printable sign telling customers how to order. A printed QR
// code would be dead within minutes (codes rotate), so the print says where
// the live code is; on screen, staff also see the current code, which makes
// the page usable as a small extra sign.

import { get, enc, serverNow, ms } from '/static/shared/api.js';
import { h, patch, mmss, eventId } from '/static/shared/dom.js';
import { s } from '/static/poster/strings.js';

const $ = (id) => document.getElementById(id);
const event = eventId();

main();

async function main() {
  $('print').textContent = s.print;
  $('print').addEventListener('click', () => window.print());
  $('toolbar-hint').textContent = s.toolbarHint;
  $('tagline').textContent = s.tagline;
  $('look-up').textContent = s.lookUp;
  let bar;
  try {
    bar = await get(`/api/events/${enc(event)}`);
  } catch {
    $('bar-name').textContent = s.unknownBar;
    return;
  }
  document.title = s.title(bar.name);
  $('bar-name').textContent = bar.name;
  patch($('steps'), s.steps(bar.signInMode).map((t) => h('li', { text: t })));
  $('rotate-note').textContent = s.rotateNote(Math.round((bar.limits?.windowSeconds || 300) / 60));
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
  $('live-title').textContent = s.liveTitle;
  const img = $('live-qr');
  img.alt = s.liveAlt;
  img.src = `/api/events/${enc(event)}/qr.svg?v=${enc(q.code)}`;
  const paint = () => {
    const left = ms(q.windowEnd) - serverNow();
    $('live-meta').textContent = s.liveMeta(q.remaining, mmss(left));
    if (left <= 0) { clearInterval(timer); setTimeout(live, 1000); }
  };
  const timer = setInterval(paint, 1000);
  paint();
}
