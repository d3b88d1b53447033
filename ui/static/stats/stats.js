// The stats page of one bar, for its staff: what is happening now, the
// day's orders by state, the funnel, orders per hour and the wait over the
// day as inline SVG charts, waits and make times per drink and barista,
// and the orders with links to their journeys. It follows the board
// stream and asks for the figures again after every event, so it stays
// live; printed, it is the end-of-day report.

import { get, enc, stream, serverNow, ms } from '/static/shared/api.js';
import { h, patch, eventId, connection, mmss } from '/static/shared/dom.js';
import { staffGate } from '/static/shared/staff.js';
import { load, pickLanguage, browserLanguages } from '/static/shared/i18n.js';

const $ = (id) => document.getElementById(id);
const event = eventId();
const REFRESH = 250;        // ms after an event before the figures are read again
const ROLL = 30 * 1000;     // the rolling figures (last 15 minutes) move on by themselves
const MAX_ORDERS = 60;      // rows of the orders table
const SVG = 'http://www.w3.org/2000/svg';

let s = null;
let bar = null;
let me = null;
let timer = 0;
let busy = false;
let again = false;

main();

async function main() {
  try { bar = await get(`/api/events/${enc(event)}`); } catch { /* shown after sign-in */ }
  s = await load('stats', pickLanguage(browserLanguages(), bar?.language));
  document.title = s.t('docTitle', { bar: bar?.name || event });
  me = await staffGate($('signin'), event, ['admin', 'barista', 'display'], s);
  if (!bar) bar = await get(`/api/events/${enc(event)}`);
  $('screen').hidden = false;
  $('bar-name').textContent = bar.name;
  $('page-title').textContent = s.t('title');
  $('from-label').textContent = s.t('from');
  $('to-label').textContent = s.t('to');
  $('show').textContent = s.t('show');
  document.querySelector('.tools').setAttribute('aria-label', s.t('tools'));
  $('board-link').textContent = s.t('board');
  $('board-link').href = `/barista/${enc(event)}`;
  $('board-link').hidden = me.role === 'display';
  $('csv').textContent = s.t('csv');
  $('print').textContent = s.t('print');
  $('print').addEventListener('click', () => window.print());
  for (const [id, key] of [['now-title', 'nowTitle'], ['counts-title', 'countsTitle'], ['funnel-title', 'funnelTitle'],
    ['hours-title', 'hoursTitle'], ['hours-table-summary', 'showNumbers'], ['waitchart-title', 'waitChartTitle'],
    ['wait-title', 'waitTitle'], ['make-title', 'makeTitle'], ['baristas-title', 'baristasTitle'], ['orders-title', 'ordersTitle'],
    ['note', 'note']]) {
    $(id).textContent = s.t(key);
  }
  const today = localDate(new Date(serverNow()));
  $('from').value = today;
  $('to').value = today;
  $('window').addEventListener('submit', (ev) => { ev.preventDefault(); refresh(); });
  refresh();
  stream(`/api/events/${enc(event)}/stream`, {
    onSnapshot: later,
    onEvent: later,
    onStatus: connection($('conn'), s.t('reconnecting')),
  });
  setInterval(later, ROLL);
}

/** localDate is d's date at the bar, as YYYY-MM-DD. */
function localDate(d) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: bar.timezone || 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** later reads the figures again soon, once for a burst of events. */
function later() {
  clearTimeout(timer);
  timer = setTimeout(refresh, REFRESH);
}

function query() {
  const from = $('from').value, to = $('to').value || from;
  return `from=${enc(from)}&to=${enc(to < from ? from : to)}`;
}

async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  try {
    const q = query();
    $('csv').href = `/api/events/${enc(event)}/orders.csv?${q}`;
    const st = await get(`/api/events/${enc(event)}/stats?${q}`);
    const within = Math.min(7 * 86400, Math.max(60, Math.ceil((serverNow() - ms(st.from)) / 1000)));
    const { orders } = await get(`/api/events/${enc(event)}/orders?within=${within}`);
    render(st, orders.filter((o) => ms(o.createdAt) >= ms(st.from) && ms(o.createdAt) < ms(st.to)));
  } catch (e) {
    $('updated').textContent = e.status === 0 ? s.t('networkError') : e.message;
  } finally {
    busy = false;
    if (again) { again = false; later(); }
  }
}

/** dur formats a duration in ms: seconds to a tenth under a minute, else m:ss; a dash for none. */
const dur = (v) => {
  if (v === null || v === undefined) return s.t('none');
  return v < 60000 ? s.t('seconds', { n: new Intl.NumberFormat(s.lang, { maximumFractionDigits: 1 }).format(v / 1000) }) : mmss(v);
};
const time = (t) => new Date(t).toLocaleTimeString(s.lang, { timeZone: bar.timezone || 'UTC', hour: '2-digit', minute: '2-digit' });
const day = (t) => new Date(t).toLocaleDateString(s.lang, { timeZone: bar.timezone || 'UTC', dateStyle: 'medium' });

function render(st, orders) {
  $('updated').textContent = s.t('updated', { time: time(st.at) });
  const last = new Date(ms(st.to) - 1);
  $('report-title').textContent = s.t('reportTitle', { bar: bar.name, from: day(st.from), to: day(last) });
  figures($('now'), [
    ['now-queued', 'nowQueued', st.now.queued], ['now-making', 'nowMaking', st.now.making],
    ['now-ready', 'nowReady', st.now.ready], ['now-done15', 'nowDone15', st.now.completedLast15m]]);
  figures($('counts'), [
    ['count-waiting', 'stateWaiting', st.counts.waiting], ['count-queued', 'stateQueued', st.counts.queued],
    ['count-making', 'stateMaking', st.counts.making], ['count-completed', 'stateCompleted', st.counts.completed],
    ['count-cancelled', 'stateCancelled', st.counts.cancelled], ['count-timed_out', 'stateTimedOut', st.counts.timed_out]]);
  $('causes').textContent = s.t('causes', {
    cc: st.causes.cancelled.customer, cb: st.causes.cancelled.barista,
    tc: st.causes.timed_out.customer, tb: st.causes.timed_out.barista,
  });
  funnel(st.funnel);
  patch($('hours-chart'), hoursChart(st.perHour));
  patch($('hours-table'), hoursTable(st.perHour));
  patch($('wait-chart'), waitChart(st.perHour));
  patch($('wait'), summaryTable([{ name: s.t('allDrinks'), ...st.wait.overall }, ...st.wait.byDrink], 'colDrink'));
  patch($('make'), summaryTable([{ name: s.t('allDrinks'), ...st.make.overall }, ...st.make.byDrink], 'colDrink'));
  patch($('baristas'), baristaTable(st.make.byBarista));
  patch($('orders'), ordersTable(orders));
}

function figures(dl, items) {
  patch(dl, items.map(([id, key, n]) => h('div', { class: 'figure' },
    h('dt', { text: s.t(key) }), h('dd', { id, text: String(n) }))));
}

function funnel(f) {
  const steps = [['funnelRedeemed', f.redeemed], ['funnelChosen', f.chosen], ['funnelMaking', f.making],
    ['funnelCompleted', f.completed], ['funnelCollected', f.collected]];
  const top = Math.max(f.redeemed, 1);
  patch($('funnel'), steps.map(([key, n]) => {
    const fill = h('span', { class: 'funnel-bar', 'aria-hidden': 'true' });
    fill.style.width = `${(100 * n) / top}%`; // CSSOM, which the CSP allows
    return h('li', null, h('span', { class: 'funnel-label', text: s.t(key) }), h('span', { class: 'funnel-n', text: String(n) }), fill);
  }));
}

/** svg builds an SVG element; attrs are set as attributes. */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

const CHART = { w: 720, h: 240, left: 44, right: 12, top: 12, bottom: 30 };

/** frame draws the axes, grid lines and hour labels of a chart. */
function frame(hours, top, label) {
  const { w, h: ht, left, right, top: t, bottom } = CHART;
  const pw = w - left - right, ph = ht - t - bottom;
  const every = Math.max(1, Math.ceil(hours.length / 12));
  const y = (v) => t + ph - (ph * v) / top;
  const grid = [0, top / 2, top].map((v) => svg('g', { class: 'gridline' },
    svg('line', { x1: left, x2: w - right, y1: y(v), y2: y(v) }),
    svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, label(v))));
  const xs = hours.map((hr, i) => (i % every ? null : svg('text', { class: 'tick', x: left + (pw * (i + 0.5)) / hours.length, y: ht - 10, 'text-anchor': 'middle' }, hr.hour)));
  return { pw, ph, y, parts: [grid, xs] };
}

function hoursChart(hours) {
  if (!hours.length) return h('p', { class: 'hint', text: s.t('noOrders') });
  const top = niceMax(Math.max(...hours.map((x) => Math.max(x.ordered, x.completed))));
  const { pw, y, parts } = frame(hours, top, (v) => String(v));
  const gw = pw / hours.length, bw = Math.max(1, gw * 0.38);
  const bars = hours.map((x, i) => {
    const x0 = CHART.left + gw * i + gw * 0.1;
    return svg('g', null,
      svg('rect', { class: 'bar-ordered', x: x0, y: y(x.ordered), width: bw, height: y(0) - y(x.ordered) },
        svg('title', null, s.t('barOrdered', { hour: x.hour, n: x.ordered }))),
      svg('rect', { class: 'bar-completed', x: x0 + bw + gw * 0.04, y: y(x.completed), width: bw, height: y(0) - y(x.completed) },
        svg('title', null, s.t('barCompleted', { hour: x.hour, n: x.completed }))));
  });
  const total = (k) => hours.reduce((a, x) => a + x[k], 0);
  const busiest = hours.reduce((a, x) => (x.ordered > a.ordered ? x : a), hours[0]);
  return [
    svg('svg', { viewBox: `0 0 ${CHART.w} ${CHART.h}`, role: 'img', class: 'chart-svg',
      'aria-label': s.t('hoursLabel', { ordered: total('ordered'), completed: total('completed'), hour: busiest.hour, n: busiest.ordered }) },
    parts, bars),
    h('p', { class: 'legend', 'aria-hidden': 'true' },
      h('span', { class: 'key key-ordered' }), s.t('legendOrdered'), ' ', h('span', { class: 'key key-completed' }), s.t('legendCompleted')),
  ];
}

function waitChart(hours) {
  const pts = hours.map((x, i) => ({ i, x, v: x.waitP50Ms })).filter((p) => p.v !== null && p.v !== undefined);
  if (!pts.length) return h('p', { class: 'hint', text: s.t('noWaits') });
  // Seconds on the axis while the waits are short, minutes once they are not.
  const unit = Math.max(...pts.map((p) => p.v)) < 120000 ? 1000 : 60000;
  const top = niceMax(Math.max(...pts.map((p) => p.v)) / unit);
  const { pw, y, parts } = frame(hours, top, (v) => s.t(unit === 1000 ? 'seconds' : 'minutes', { n: v }));
  const px = (i) => CHART.left + (pw * (i + 0.5)) / hours.length;
  const line = svg('polyline', { class: 'wait-line', points: pts.map((p) => `${px(p.i)},${y(p.v / unit)}`).join(' ') });
  const dots = pts.map((p) => svg('circle', { class: 'wait-dot', cx: px(p.i), cy: y(p.v / unit), r: 4 },
    svg('title', null, s.t('dotWait', { hour: p.x.hour, wait: dur(p.v) }))));
  const worst = pts.reduce((a, p) => (p.v > a.v ? p : a), pts[0]);
  return svg('svg', { viewBox: `0 0 ${CHART.w} ${CHART.h}`, role: 'img', class: 'chart-svg',
    'aria-label': s.t('waitLabel', { hour: worst.x.hour, wait: dur(worst.v) }) }, parts, line, dots);
}

function table(head, rows, cls) {
  return h('table', { class: `table ${cls || ''}` },
    h('thead', null, h('tr', null, head.map((k) => h('th', { scope: 'col', text: s.t(k) })))),
    h('tbody', null, rows));
}

function hoursTable(hours) {
  return table(['colHour', 'colRedeemed', 'colOrdered', 'colCompleted', 'colMedian'], hours.map((x) => h('tr', null,
    h('th', { scope: 'row', text: `${x.day} ${x.hour}` }), h('td', { text: String(x.redeemed) }),
    h('td', { text: String(x.ordered) }), h('td', { text: String(x.completed) }), h('td', { text: dur(x.waitP50Ms) }))), 'numbers');
}

function summaryTable(rows, nameKey) {
  return table([nameKey, 'colOrders', 'colMedian', 'colP90'], rows.map((r) => h('tr', null,
    h('th', { scope: 'row', text: r.name || r.drink }), h('td', { text: String(r.n) }),
    h('td', { text: dur(r.p50Ms) }), h('td', { text: dur(r.p90Ms) }))), 'numbers');
}

function baristaTable(rows) {
  if (!rows.length) return h('p', { class: 'hint', text: s.t('noBaristas') });
  return table(['colBarista', 'colCompleted', 'colMade', 'colMedian', 'colP90'], rows.map((b) => h('tr', null,
    h('th', { scope: 'row', text: b.name || b.id }), h('td', { text: String(b.completed) }), h('td', { text: String(b.make.n) }),
    h('td', { text: dur(b.make.p50Ms) }), h('td', { text: dur(b.make.p90Ms) }))), 'numbers');
}

const STATE_KEYS = {
  waiting: 'stateWaiting', queued: 'stateQueued', making: 'stateMaking',
  completed: 'stateCompleted', cancelled: 'stateCancelled', timed_out: 'stateTimedOut',
};

function ordersTable(orders) {
  if (!orders.length) return h('p', { class: 'hint', text: s.t('noOrders') });
  const rows = [...orders].sort((a, b) => ms(b.createdAt) - ms(a.createdAt)).slice(0, MAX_ORDERS);
  return table(['colNumber', 'colTime', 'colDrink', 'colState', 'colWait', 'colJourney'], rows.map((o) => {
    const wait = o.state === 'completed' && o.submittedAt ? ms(o.finishedAt) - ms(o.submittedAt) : null;
    return h('tr', null,
      h('th', { scope: 'row', text: o.number ? `#${o.number}` : s.t('none') }),
      h('td', { text: time(o.createdAt) }),
      h('td', { text: o.drink?.name || s.t('none') }),
      h('td', { text: s.t(STATE_KEYS[o.state] || 'stateWaiting') }),
      h('td', { text: dur(wait) }),
      h('td', null, h('a', { href: `/journey/${enc(o.id)}?event=${enc(event)}`, class: 'journey-link',
        'aria-label': o.number ? s.t('journeyOf', { n: o.number }) : s.t('journeyOfUnnumbered'), text: s.t('journey') })));
  }), 'orders-table');
}
