// Home: the bars and links to their apps.

import { get, enc } from '/static/shared/api.js';
import { h, patch } from '/static/shared/dom.js';
import { s } from '/static/home/strings.js';

const $ = (id) => document.getElementById(id);

main();

async function main() {
  $('title').textContent = s.title;
  $('intro').textContent = s.intro;
  $('status').textContent = s.loading;
  let events;
  try {
    ({ events } = await get('/api/events'));
  } catch (e) {
    $('status').textContent = s.failed(e.message);
    return;
  }
  $('status').textContent = events?.length ? '' : s.none;
  patch($('bars'), (events || []).map(bar));
}

function bar(b) {
  return h('li', { class: 'card bar' },
    h('div', { class: 'bar-head' },
      h('h2', { text: b.name }),
      h('span', { class: `pill ${b.open ? 'pill-open' : 'pill-closed'}`, text: b.open ? s.open : s.closed })),
    h('p', { class: 'hint', text: `${b.id} · ${s.signIn(b.signInMode)}` }),
    h('ul', { class: 'apps' }, s.apps.map(([path, name, what]) => h('li', {},
      h('a', { class: 'btn', href: `/${path}/${enc(b.id)}` }, name),
      h('span', { class: 'hint', text: what })))));
}
