import { GitfleetError } from '../core/errors.js';

/**
 * A parsed 5-field cron schedule: minute hour day-of-month month day-of-week. Each field holds the
 * values it allows. As in Vixie cron, when both day fields are restricted a day matches if
 * either does; when one is `*` only the other counts.
 */
export interface CronSchedule {
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (7 is read as Sunday). */
  daysOfWeek: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

/** Local wall-clock time in some zone. */
export interface WallClock {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday. */
  weekday: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Offset of names[0]: months are 1-based, weekdays 0-based. */
  nameBase?: number;
}
const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  // 7 is accepted as Sunday and folded to 0 below.
  { name: 'day-of-week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

/** A schedule that cannot be parsed; the message names the field and the offending text. */
export class CronError extends GitfleetError {
  constructor(message: string) {
    super('governance.InvalidCron', message);
  }
}

/** Parses `minute hour day-of-month month day-of-week` (or an `@daily`-style macro). */
export function parseCron(expr: string): CronSchedule {
  const text = MACROS[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5)
    throw new CronError(`cron "${expr}" must have 5 fields (minute hour day-of-month month day-of-week)`);
  const sets = parts.map((p, i) => parseField(p, FIELDS[i] as FieldSpec, expr));
  const [minutes, hours, daysOfMonth, months, dowRaw] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const daysOfWeek = new Set([...dowRaw].map((d) => d % 7));
  return {
    source: expr,
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    domRestricted: !(parts[2] ?? '').startsWith('*'),
    dowRestricted: !(parts[4] ?? '').startsWith('*'),
  };
}

function parseField(text: string, f: FieldSpec, expr: string): Set<number> {
  const out = new Set<number>();
  const bad = (why: string): CronError => new CronError(`cron "${expr}": ${f.name} field "${text}" ${why}`);
  const value = (s: string): number => {
    const i = f.names?.indexOf(s.toLowerCase()) ?? -1;
    if (i >= 0) return i + (f.nameBase ?? 0);
    if (!/^\d+$/.test(s)) throw bad(`has "${s}", which is not a number${f.names ? ' or name' : ''}`);
    const n = Number(s);
    if (n < f.min || n > f.max) throw bad(`has ${n}, outside ${f.min}-${f.max}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw bad(`has a malformed item "${item}"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw bad(`has step "${stepText}"`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = f.min;
      hi = f.name === 'day-of-week' ? 6 : f.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = value(a);
      hi = value(b);
      if (lo > hi) throw bad(`has the backwards range "${range}"`);
    } else {
      lo = value(range);
      // `a/n` means from a to the end in steps of n, as in Vixie cron.
      hi = stepText === undefined ? lo : f.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a clear error for a zone Intl does not know, naming the zone. */
export function checkTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
    } catch {
      throw new GitfleetError('governance.InvalidTimeZone', `unknown time zone "${timeZone}"`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time of an instant in an IANA zone. */
export function wallClock(at: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(at))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const year = parts.year ?? 0;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  return {
    year,
    month,
    day,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

function dayMatches(s: CronSchedule, w: WallClock): boolean {
  const dom = s.daysOfMonth.has(w.day);
  const dow = s.daysOfWeek.has(w.weekday);
  if (s.domRestricted && s.dowRestricted) return dom || dow;
  return dom && dow;
}

/** Whether the schedule fires at this wall-clock minute. */
export function cronMatches(s: CronSchedule, w: WallClock): boolean {
  return s.months.has(w.month) && dayMatches(s, w) && s.hours.has(w.hour) && s.minutes.has(w.minute);
}

const MINUTE = 60_000;

/**
 * The first instant at or after `from` (rounded up to a whole minute) and before `before` at which
 * the schedule fires in `timeZone`; undefined when there is none. Walks real minutes and reads
 * the local wall clock of each, so daylight-saving changes behave as a wall clock does: a local
 * time skipped by the spring change never fires, one repeated in autumn fires twice. Whole days
 * and hours that cannot match are skipped, so a year's search takes a few thousand steps.
 */
export function nextCronMatch(s: CronSchedule, from: Date, timeZone: string, before: Date): Date | undefined {
  let t = Math.ceil(from.getTime() / MINUTE) * MINUTE;
  const end = before.getTime();
  while (t < end) {
    const w = wallClock(new Date(t), timeZone);
    if (!s.months.has(w.month) || !dayMatches(s, w)) {
      // To 23:00 local of this day (a DST change can only move that to the next midnight),
      // then hour by hour into the next day.
      t += w.hour < 22 ? ((22 - w.hour) * 60 + (60 - w.minute)) * MINUTE : (60 - w.minute) * MINUTE;
    } else if (!s.hours.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
    } else if (!s.minutes.has(w.minute)) {
      let next = w.minute + 1;
      while (next < 60 && !s.minutes.has(next)) next++;
      t += (next - w.minute) * MINUTE;
    } else {
      return new Date(t);
    }
  }
  return undefined;
}
