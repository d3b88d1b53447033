// Translations. Every text an app shows lives in static/<app>/i18n/<lang>.json:
// one flat JSON object of "key": "text" pairs, where {name} is a value filled
// in by the app and a key ending in _one or _other is one plural form of the
// key before it (chosen with Intl.PluralRules). Every language has exactly
// the keys English has; ui_test.go checks it, so a missing text is a failing
// test rather than a raw key on a screen. Dates and times go through Intl in
// the chosen language.

/**
 * LANGUAGES are the languages presso ships, English first (the fallback).
 * ui_test.go reads this line: keep it one line of quoted tags.
 */
export const LANGUAGES = ['en', 'de', 'fr', 'es', 'ja'];

/** base reduces a BCP 47 tag to its language: "de-AT" → "de" (and "de;q=0.9"). */
const base = (tag) => String(tag || '').trim().toLowerCase().split(/[-_;]/)[0];

/**
 * pickLanguage returns the first of wanted (BCP 47 tags, best first) that
 * presso has, else fallback when presso has it, else English.
 */
export function pickLanguage(wanted, fallback) {
  for (const tag of wanted || []) {
    const l = base(tag);
    if (LANGUAGES.includes(l)) return l;
  }
  return LANGUAGES.includes(base(fallback)) ? base(fallback) : 'en';
}

/** browserLanguages is the device's languages, best first. */
export const browserLanguages = () => (navigator.languages?.length ? navigator.languages : [navigator.language]);

/**
 * Strings is one language's table. t() fills in a text, n() picks its
 * plural form, and the Intl helpers format in the same language.
 */
export class Strings {
  constructor(lang, table) {
    this.lang = lang;
    this.table = table;
    this.plurals = new Intl.PluralRules(lang);
  }

  /** t returns the text of key with {name} replaced from vars. */
  t(key, vars) {
    const text = this.table[key];
    if (typeof text !== 'string') {
      console.warn(`i18n: no text ${key} in ${this.lang}`);
      return key;
    }
    return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : text;
  }

  /** n returns the plural form of key for count; {n} is the count. */
  n(key, count, vars) {
    const form = `${key}_${this.plurals.select(count)}`;
    return this.t(form in this.table ? form : `${key}_other`, { n: count, ...vars });
  }

  /** time formats a Date's time of day, e.g. 14:05 or 2:05 PM. */
  time(d) { return d.toLocaleTimeString(this.lang, { hour: '2-digit', minute: '2-digit' }); }

  /** weekday is a Date's short weekday name. */
  weekday(d) { return d.toLocaleDateString(this.lang, { weekday: 'short' }); }

  /** dateTime is a Date as a medium date and a short time. */
  dateTime(d) { return d.toLocaleString(this.lang, { dateStyle: 'medium', timeStyle: 'short' }); }

  /** list joins items as the language does ("A, B and C"). */
  list(items) { return new Intl.ListFormat(this.lang, { style: 'short', type: 'conjunction' }).format(items); }
}

async function fetchTable(app, lang) {
  // The import map maps every asset's plain URL to its hashed one, JSON too.
  const res = await fetch(import.meta.resolve(`/static/${app}/i18n/${lang}.json`));
  if (!res.ok) throw new Error(`${app}/${lang}: HTTP ${res.status}`);
  return res.json();
}

/**
 * load fetches app's table for lang (one of LANGUAGES), falling back to
 * English if it cannot be had, and marks the page as being in that language.
 */
export async function load(app, lang) {
  let table;
  try {
    table = await fetchTable(app, lang);
  } catch (e) {
    if (lang === 'en') throw e;
    lang = 'en';
    table = await fetchTable(app, lang);
  }
  document.documentElement.lang = lang;
  return new Strings(lang, table);
}
