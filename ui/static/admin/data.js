// What the console reads beyond single calls (every bar with its state
// and today's counts), and the ids and time zones its forms offer. See
// docs/api.md.

import { get } from '/static/shared/api.js';

/**
 * listBars returns every bar, ended ones too, by name, each with "today":
 * its orders created on its local day, by state.
 */
export async function listBars() {
  const { events } = await get('/api/events?counts=1');
  return (events || []).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** barState is "ended", "open" or "closed". */
export const barState = (b) => (b.ended ? 'ended' : b.open ? 'open' : 'closed');

/** counts sums a bar's today into what the list shows. */
export function counts(b) {
  const t = b.today || {};
  return {
    waiting: t.waiting || 0,
    queue: (t.queued || 0) + (t.making || 0),
    served: t.completed || 0,
    lost: (t.cancelled || 0) + (t.timed_out || 0),
  };
}

/**
 * timeZones is every IANA zone the browser knows, grouped by region
 * ("Europe", "America", …) for a select, with current and UTC always in.
 */
export function timeZones(current) {
  let zones = [];
  try { zones = Intl.supportedValuesOf('timeZone'); } catch { /* an old browser: the two below */ }
  const all = new Set(['UTC', ...zones]);
  if (current) all.add(current);
  const groups = new Map();
  for (const z of [...all].sort()) {
    const region = z.includes('/') ? z.slice(0, z.indexOf('/')) : 'UTC';
    if (!groups.has(region)) groups.set(region, []);
    groups.get(region).push([z, z.replaceAll('_', ' ')]);
  }
  return [...groups].map(([group, options]) => ({ group, options }));
}

/** slug makes an id from a name: "Oat Latte" → "oat-latte" (maybe ""). */
export function slug(name) {
  return String(name || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32).replace(/-+$/, '');
}

/** uniqueId is base (or fallback-N) made unlike every id in taken. */
export function uniqueId(base, taken, fallback) {
  let id = base || `${fallback}-1`;
  for (let n = 2; taken.has(id); n++) {
    const stem = (base || fallback).slice(0, 28);
    id = `${stem}-${n}`;
  }
  return id;
}
