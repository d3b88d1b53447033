// Home: the bars and links to their apps, in the device's language.

import { get, enc } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';

const $ = (id) => document.getElementById(id);
const APPS = [
  ['display', 'appDisplay', 'appDisplayHint'],
  ['barista', 'appBarista', 'appBaristaHint'],
  ['order', 'appOrder', 'appOrderHint'],
  ['poster', 'appPoster', 'appPosterHint'],
];

let s = null;

main();

async function main() {
  s = await load('home', pickLanguage(browserLanguages(), 'en'));
  $('title').textContent = s.t('title');
  $('intro').textContent = s.t('intro');
  $('status').textContent = s.t('loading');
  let events;
  try {
    ({ events } = await get('/api/events'));
  } catch (e) {
    $('status').textContent = s.t('failed', { msg: e.message });
    return;
  }
  $('status').textContent = events?.length ? '' : s.t('none');
  patch($('bars'), (events || []).map(bar));
}

function bar(b) {
  return h('li', { class: 'card bar' },
    h('div', { class: 'bar-head' },
      h('h2', { text: b.name }),
      h('span', { class: `pill ${b.open ? 'pill-open' : 'pill-closed'}`, text: b.open ? s.t('open') : s.t('closed') })),
    h('p', { class: 'hint', text: `${b.id} · ${b.signInMode === 'code' ? s.t('signInCode') : s.t('signInName')}` }),
    h('ul', { class: 'apps' }, APPS.map(([path, name, what]) => h('li', {},
      h('a', { class: 'btn', href: `/${path}/${enc(b.id)}` }, s.t(name)),
      h('span', { class: 'hint', text: s.t(what) })))));
}
