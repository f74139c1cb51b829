// The grammar of rollout-window rules (SPEC §2 `window.allow` / `window.deny`), in one place so that
// validation rejects exactly what evaluation could not understand. Two forms:
//   recurring  "[DAYS ]HH:MM-HH:MM"            DAYS = MON..SUN, ranges and lists: "MON-FRI", "SAT,SUN", "MON-WED,FRI"
//                                             no DAYS = every day; an end before the start runs past midnight
//   absolute   "YYYY-MM-DD HH:MM-YYYY-MM-DD HH:MM"   a one-off period (a freeze over the holidays)
// Times are wall-clock in `window.timezone`.

export const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

export type WindowRule =
  /** days: 0 = Sunday … 6 = Saturday; minutes since local midnight; endMinute may be ≤ startMinute (overnight) */
  | { kind: 'recurring'; days: number[]; startMinute: number; endMinute: number }
  /** local wall-clock dates and minutes */
  | { kind: 'absolute'; start: { date: string; minute: number }; end: { date: string; minute: number } };

export const WINDOW_RULE_HINT = 'must look like "MON-FRI 10:00-17:00", "22:00-06:00" or "2026-12-31 00:00-2027-01-02 00:00"';

const TIME = '([01]\\d|2[0-4]):([0-5]\\d)';
const RECURRING = new RegExp(`^(?:([A-Za-z,\\-]+)\\s+)?${TIME}\\s*-\\s*${TIME}$`);
const ABSOLUTE = new RegExp(`^(\\d{4}-\\d{2}-\\d{2})\\s+${TIME}\\s*-\\s*(\\d{4}-\\d{2}-\\d{2})\\s+${TIME}$`);

function minute(h: string, m: string): number | undefined {
  const v = Number(h) * 60 + Number(m);
  return v > 24 * 60 ? undefined : v;
}

function validDate(s: string): boolean {
  const [y, mo, d] = s.split('-').map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function parseDays(spec: string): number[] | undefined {
  const days = new Set<number>();
  for (const part of spec.toUpperCase().split(',')) {
    const [a, b, extra] = part.split('-');
    if (extra !== undefined) return undefined;
    const from = WEEKDAYS.indexOf(a as (typeof WEEKDAYS)[number]);
    const to = b === undefined ? from : WEEKDAYS.indexOf(b as (typeof WEEKDAYS)[number]);
    if (from < 0 || to < 0) return undefined;
    // MON-FRI forward; FRI-MON wraps over the weekend
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}

/** Parses one rule, or says what is wrong with it. */
export function parseWindowRule(rule: string): { ok: true; rule: WindowRule } | { ok: false; message: string } {
  const text = rule.trim();
  const abs = ABSOLUTE.exec(text);
  if (abs) {
    const [, d1, h1, m1, d2, h2, m2] = abs;
    const s = minute(h1, m1);
    const e = minute(h2, m2);
    if (!validDate(d1) || !validDate(d2) || s === undefined || e === undefined) {
      return { ok: false, message: 'has a date or time that does not exist' };
    }
    if (`${d2} ${h2}:${m2}` <= `${d1} ${h1}:${m1}`) return { ok: false, message: 'must end after it starts' };
    return { ok: true, rule: { kind: 'absolute', start: { date: d1, minute: s }, end: { date: d2, minute: e } } };
  }
  const rec = RECURRING.exec(text);
  if (rec) {
    const [, daySpec, h1, m1, h2, m2] = rec;
    const days = daySpec === undefined ? [0, 1, 2, 3, 4, 5, 6] : parseDays(daySpec);
    if (!days) return { ok: false, message: `has unknown days: use ${WEEKDAYS.join(', ')}, ranges (MON-FRI) and lists (SAT,SUN)` };
    const s = minute(h1, m1);
    const e = minute(h2, m2);
    if (s === undefined || e === undefined || s === 24 * 60) return { ok: false, message: 'has a time that does not exist' };
    if (s === e) return { ok: false, message: 'is empty: it starts and ends at the same time' };
    return { ok: true, rule: { kind: 'recurring', days, startMinute: s, endMinute: e } };
  }
  return { ok: false, message: WINDOW_RULE_HINT };
}
