import { describe, expect, it } from 'vitest';
import { CronError, cronMatches, nextCronMatch, parseCron, wallClock } from './cron.js';

const at = (iso: string): Date => new Date(iso);
const next = (expr: string, from: string, tz = 'UTC', days = 400): string | undefined =>
  nextCronMatch(
    parseCron(expr),
    at(from),
    tz,
    new Date(at(from).getTime() + days * 86_400_000),
  )?.toISOString();

describe('parseCron', () => {
  it('reads ranges, steps, lists and names', () => {
    const s = parseCron('*/15 9-17/4 1,15 jan-mar MON-fri');
    expect([...s.minutes]).toEqual([0, 15, 30, 45]);
    expect([...s.hours]).toEqual([9, 13, 17]);
    expect([...s.daysOfMonth]).toEqual([1, 15]);
    expect([...s.months]).toEqual([1, 2, 3]);
    expect([...s.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads 7 as Sunday, a/n as a to the end, and macros', () => {
    expect([...parseCron('0 0 * * 7').daysOfWeek]).toEqual([0]);
    expect([...parseCron('50/5 * * * *').minutes]).toEqual([50, 55]);
    expect([...parseCron('@daily').hours]).toEqual([0]);
  });

  it('names the field and the text of a bad schedule', () => {
    expect(() => parseCron('0 24 * * *')).toThrow(/hour field "24" has 24, outside 0-23/);
    expect(() => parseCron('0 0 * foo *')).toThrow(
      /month field "foo" has "foo", which is not a number or name/,
    );
    expect(() => parseCron('0 0 * *')).toThrow(CronError);
    expect(() => parseCron('5-1 * * * *')).toThrow(/backwards range "5-1"/);
    expect(() => parseCron('*/0 * * * *')).toThrow(/step "0"/);
  });
});

describe('cron matching', () => {
  it('matches a day when either restricted day field matches (Vixie cron)', () => {
    const s = parseCron('0 12 13 * 5'); // the 13th, or any Friday
    expect(cronMatches(s, wallClock(at('2026-11-13T12:00:00Z'), 'UTC'))).toBe(true); // Friday the 13th
    expect(cronMatches(s, wallClock(at('2026-11-20T12:00:00Z'), 'UTC'))).toBe(true); // a Friday
    expect(cronMatches(s, wallClock(at('2026-12-13T12:00:00Z'), 'UTC'))).toBe(true); // a Sunday the 13th
    expect(cronMatches(s, wallClock(at('2026-11-21T12:00:00Z'), 'UTC'))).toBe(false);
  });

  it('finds the next start, inclusive of the starting minute', () => {
    expect(next('30 2 * * *', '2026-11-25T02:30:00Z')).toBe('2026-11-25T02:30:00.000Z');
    expect(next('30 2 * * *', '2026-11-25T02:30:30Z')).toBe('2026-11-26T02:30:00.000Z');
    expect(next('0 0 29 2 *', '2026-11-25T00:00:00Z', 'UTC', 1500)).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 30 2 *', '2026-11-25T00:00:00Z')).toBeUndefined();
  });

  it('fires at local wall-clock time in a time zone', () => {
    // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
    expect(next('0 9 * * *', '2026-11-25T00:00:00Z', 'Europe/Berlin')).toBe('2026-11-25T08:00:00.000Z');
    expect(next('0 9 * * *', '2026-07-01T00:00:00Z', 'Europe/Berlin')).toBe('2026-07-01T07:00:00.000Z');
    expect(next('0 9 * * mon', '2026-11-25T00:00:00Z', 'America/New_York')).toBe('2026-11-30T14:00:00.000Z');
  });

  it('skips a local time the spring DST change removes, and fires twice on one repeated in autumn', () => {
    // Europe/Berlin 2026: 29 March 02:00 → 03:00; 25 October 03:00 → 02:00.
    expect(next('30 2 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin')).toBe('2026-03-30T00:30:00.000Z');
    expect(next('30 2 * * *', '2026-10-24T12:00:00Z', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    expect(next('30 2 * * *', '2026-10-25T00:31:00Z', 'Europe/Berlin')).toBe('2026-10-25T01:30:00.000Z');
    // 03:30 exists both days; on the spring day it is only an hour after 01:30 UTC-wise.
    expect(next('30 3 * * *', '2026-03-28T12:00:00Z', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('rejects an unknown time zone by name', () => {
    expect(() => wallClock(at('2026-11-25T00:00:00Z'), 'Mars/Olympus')).toThrow(
      /unknown time zone "Mars\/Olympus"/,
    );
  });
});
