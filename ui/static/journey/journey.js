// The journey of one order, for staff: the workflow's states and
// transitions drawn from the table the server runs (GET /api/workflow),
// this order's path through them highlighted, and every transition and
// event with its time, its actor and the time since the step before. It
// follows the bar's board stream and redraws when the order moves.

import { get, enc, stream, ms } from '/static/shared/api.js';
import { h, patch, connection, mmss } from '/static/shared/dom.js';
import { staffGate } from '/static/shared/staff.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const orderId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const hint = new URLSearchParams(location.search).get('event') || '';

// Where each state of the workflow is drawn: the happy path left to
// right, the two other ends below. A state the server adds later goes on
// the bottom row, after these.
const PLACES = {
  '': [40, 110], waiting: [200, 110], queued: [430, 110], making: [660, 110], completed: [890, 110],
  timed_out: [330, 280], cancelled: [660, 280],
};
const BOX = { w: 124, h: 40 };
const STATE_KEYS = {
  '': 'stateStart', waiting: 'stateWaiting', queued: 'stateQueued', making: 'stateMaking',
  completed: 'stateCompleted', cancelled: 'stateCancelled', timed_out: 'stateTimedOut',
};

let s = null;
let bar = null;
let workflow = null;
let timer = 0;

main();

async function main() {
  s = await load('journey', pickLanguage(browserLanguages()));
  let me = null;
  try { me = await get('/api/me'); } catch { /* not signed in */ }
  if (!me || me.kind !== 'staff') me = await staffGate($('signin'), hint, ['admin', 'barista', 'display'], s);
  $('screen').hidden = false;
  $('diagram-title').textContent = s.t('diagramTitle');
  $('timeline-title').textContent = s.t('timelineTitle');
  $('all-summary').textContent = s.t('allTransitions');
  try {
    workflow = await get('/api/workflow');
    const j = await get(`/api/orders/${enc(orderId)}/journey`);
    try { bar = await get(`/api/events/${enc(j.order.eventId)}`); } catch { bar = { id: j.order.eventId, name: j.order.eventId } }
    render(j);
    stream(`/api/events/${enc(bar.id)}/stream`, {
      onEvent: (type, d) => { if (d.orderId === orderId) { clearTimeout(timer); timer = setTimeout(reload, 200); } },
      onStatus: connection($('conn'), s.t('reconnecting')),
    });
  } catch (e) {
    $('title').textContent = s.t('title');
    const p = $('problem');
    p.textContent = e.status === 404 ? s.t('notFound') : e.status === 0 ? s.t('networkError') : e.message;
    p.hidden = false;
  }
}

async function reload() {
  try { render(await get(`/api/orders/${enc(orderId)}/journey`)); } catch { /* keep what is shown */ }
}

const stateName = (st) => (STATE_KEYS[st] ? s.t(STATE_KEYS[st]) : st);
const clock = (t) => new Date(t).toLocaleTimeString(s.lang, { timeZone: bar?.timezone || 'UTC', hour: '2-digit', minute: '2-digit', second: '2-digit' });

function render(j) {
  const o = j.order;
  const title = o.number ? s.t('titleNumber', { n: o.number }) : s.t('title');
  $('title').textContent = title;
  document.title = `${title} · ${bar.name}`;
  const pill = $('state');
  pill.textContent = stateName(o.state);
  pill.className = `pill state-${o.state}`;
  patch($('links'),
    h('a', { class: 'btn btn-quiet', href: `/stats/${enc(bar.id)}`, text: s.t('stats') }),
    h('a', { class: 'btn btn-quiet', href: `/barista/${enc(bar.id)}`, text: s.t('board') }));
  const mods = (o.drink?.modifiers || []).map((m) => m.optionName).join(', ');
  $('summary').textContent = [bar.name, o.drink ? (mods ? `${o.drink.name} (${mods})` : o.drink.name) : s.t('noDrink'),
    o.userName ? s.t('forName', { name: o.userName }) : '', o.walkup ? s.t('walkup') : ''].filter(Boolean).join(' · ');
  const steps = j.timeline.filter((e) => e.kind === 'transition');
  patch($('diagram'), diagram(steps, o.state));
  patch($('all'), allTransitions(steps));
  patch($('timeline'), j.timeline.map(entry));
}

/** taken reports whether the order went along edge (from, to, trigger). */
const taken = (steps, from, to, trigger) => steps.some((st) => st.from === from && st.to === to && st.trigger === trigger);

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function place(st, i) {
  return PLACES[st] || [120 + 160 * i, 340];
}

function diagram(steps, current) {
  const extra = workflow.states.filter((st) => !(st in PLACES));
  const at = (st) => place(st, extra.indexOf(st));
  const visited = new Set(steps.flatMap((st) => [st.from, st.to]));
  const edges = [];
  const pairs = new Map(); // how many edges already join a pair, to fan them out
  for (const t of workflow.transitions) {
    for (const from of t.from) {
      const key = [from, t.to].sort().join('>');
      const k = pairs.get(key) || 0;
      pairs.set(key, k + 1);
      edges.push(edge(from, t.to, t.trigger, k, at, taken(steps, from, t.to, t.trigger)));
    }
  }
  const nodes = workflow.states.map((st) => {
    const [x, y] = at(st);
    const cls = `node${visited.has(st) ? ' node-visited' : ''}${st === current ? ' node-current' : ''}`;
    return svg('g', { class: cls },
      st === '' ? svg('circle', { cx: x, cy: y, r: 12 }) : svg('rect', { x: x - BOX.w / 2, y: y - BOX.h / 2, width: BOX.w, height: BOX.h, rx: 12 }),
      st === '' ? null : svg('text', { x, y: y + 5, 'text-anchor': 'middle' }, stateName(st)));
  });
  const path = [stateName(''), ...steps.map((st) => stateName(st.to))].join(' → ');
  const height = extra.length ? 380 : 330;
  const arrow = (id, cls) => svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 10, markerHeight: 10,
    markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
  return svg('svg', { viewBox: `0 0 1000 ${height}`, class: 'diagram-svg', role: 'img', 'aria-label': s.t('pathLabel', { path }) },
    svg('defs', null, arrow('arrow', 'arrow'), arrow('arrow-taken', 'arrow-taken')),
    edges, nodes);
}

/**
 * edge draws one transition as a curve between the two states' boxes,
 * the k-th edge of a pair bent further out, so edges of one pair (make
 * and unmake) do not lie on each other, and one that would cross another
 * state's box bent round it; a state to itself is a loop above it.
 */
function edge(from, to, trigger, k, at, isTaken) {
  const [x1, y1] = at(from), [x2, y2] = at(to);
  const cls = `edge${isTaken ? ' edge-taken' : ''}`;
  const marker = `url(#${isTaken ? 'arrow-taken' : 'arrow'})`;
  if (from === to) {
    const dx = 24 + 16 * k, top = y1 - 75 - 26 * k;
    return svg('g', { class: cls },
      svg('path', { d: `M${x1 - 22},${y1 - 20} C${x1 - dx},${top} ${x1 + dx},${top} ${x1 + 22},${y1 - 20}`, 'marker-end': marker }),
      svg('text', { x: x1, y: top + 10, 'text-anchor': 'middle' }, trigger));
  }
  const len = Math.hypot(x2 - x1, y2 - y1) || 1;
  const ux = (x2 - x1) / len, uy = (y2 - y1) / len;
  // Leave the boxes (or the start's circle) at their edges, not their centres.
  const cut = (st) => (st === '' ? 14 : Math.min(BOX.w / 2 / Math.max(Math.abs(ux), 1e-6), BOX.h / 2 / Math.max(Math.abs(uy), 1e-6)) + 3);
  const sx = x1 + ux * cut(from), sy = y1 + uy * cut(from), ex = x2 - ux * cut(to), ey = y2 - uy * cut(to);
  const crosses = workflow.states.some((st) => {
    if (st === from || st === to) return false;
    const [px, py] = at(st);
    const t = ((px - x1) * ux + (py - y1) * uy) / len;
    return t > 0 && t < 1 && Math.abs((px - x1) * uy - (py - y1) * ux) < BOX.h;
  });
  const bend = (from < to ? 1 : -1) * ((k ? 22 + 16 * k : 0) + (crosses ? 70 : 0));
  const mx = (sx + ex) / 2 + uy * bend, my = (sy + ey) / 2 - ux * bend;
  // The curve's own midpoint, where its label goes.
  const lx = (sx + 2 * mx + ex) / 4, ly = (sy + 2 * my + ey) / 4;
  return svg('g', { class: cls },
    svg('path', { d: `M${sx},${sy} Q${mx},${my} ${ex},${ey}`, 'marker-end': marker }),
    svg('text', { x: lx, y: ly - 5, 'text-anchor': 'middle' }, trigger));
}

function allTransitions(steps) {
  const items = [];
  for (const t of workflow.transitions) {
    for (const from of t.from) {
      const yes = taken(steps, from, t.to, t.trigger);
      items.push(h('li', { class: yes ? 'is-taken' : '' },
        s.t('transition', { trigger: t.trigger, from: stateName(from), to: stateName(t.to) }),
        yes ? h('strong', { text: ` · ${s.t('taken')}` }) : null));
    }
  }
  return items;
}

/** gap is a time between steps: seconds (to the millisecond under one) under a minute, else m:ss. */
const gap = (v) => (v < 60000 ? `${new Intl.NumberFormat(s.lang, { maximumFractionDigits: v < 1000 ? 3 : v < 10000 ? 2 : 1 }).format(v / 1000)} s` : mmss(v));

function entry(e) {
  const since = e.sinceMs ? h('span', { class: 'since', text: s.t('since', { t: gap(e.sinceMs) }) }) : null;
  const when = h('time', { datetime: e.at, text: clock(ms(e.at)) });
  if (e.kind === 'event') {
    return h('li', { class: 'entry entry-event' }, when, ' ', h('span', { text: s.t('event', { type: e.detailType }) }), since ? ' ' : null, since);
  }
  return h('li', { class: 'entry entry-transition' },
    when, ' ',
    h('strong', { text: e.trigger }), ' ',
    h('span', { text: s.t('transitionTo', { from: stateName(e.from), to: stateName(e.to) }) }), ' ',
    h('span', { class: 'actor', text: s.t('by', { name: e.actorName || e.actor }) }),
    since ? ' ' : null, since);
}
