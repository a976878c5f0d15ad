import { describe, expect, it } from 'vitest';
import type { Project, SyncWindow } from '../api/project.js';
import { runningSyncGate, syncGate, windowMatches, windowStates } from './windows.js';

const project = (syncWindows: SyncWindow[]): Project => ({
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'Project',
  metadata: { name: 'team-a' },
  spec: { syncWindows },
});
const app = { application: 'web', cluster: 'prod-eu', namespace: 'team-a' };
// A Wednesday, 10:00 UTC (11:00 in Berlin).
const now = new Date('2026-11-25T10:00:00Z');
const workHours: SyncWindow = {
  kind: 'deny',
  schedule: '0 9 * * 1-5',
  duration: '8h',
  timeZone: 'Europe/Berlin',
  applications: ['*'],
};

describe('sync windows', () => {
  it('allows everything when no window matches the application', () => {
    const p = project([{ ...workHours, applications: ['other-*'] }]);
    expect(syncGate(p, app, now, false)).toEqual({ allowed: true });
  });

  it('blocks while a deny window is active, saying which and until when', () => {
    const gate = syncGate(project([workHours]), app, now, false);
    expect(gate.allowed).toBe(false);
    expect(gate.reason).toBe(
      'deny window #0 "0 9 * * 1-5" for 8h (Europe/Berlin) is active until 2026-11-25T16:00:00.000Z',
    );
    expect(gate.retryAt?.toISOString()).toBe('2026-11-25T16:00:00.000Z');
    expect(syncGate(project([workHours]), app, new Date('2026-11-25T16:00:00Z'), false).allowed).toBe(true);
  });

  it('lets a manual sync through a deny window only with manualSync', () => {
    expect(syncGate(project([workHours]), app, now, true).allowed).toBe(false);
    expect(syncGate(project([{ ...workHours, manualSync: true }]), app, now, true).allowed).toBe(true);
    expect(syncGate(project([{ ...workHours, manualSync: true }]), app, now, false).allowed).toBe(false);
    // Another active deny window without the override still blocks.
    const both = project([
      { ...workHours, manualSync: true },
      { ...workHours, namespaces: ['team-*'] },
    ]);
    expect(syncGate(both, app, now, true).allowed).toBe(false);
  });

  it('syncs only inside an allow window once one matches, and deny beats allow', () => {
    const nightly: SyncWindow = {
      kind: 'allow',
      schedule: '0 22 * * *',
      duration: '2h',
      clusters: ['prod-*'],
    };
    const gate = syncGate(project([nightly]), app, now, false);
    expect(gate.allowed).toBe(false);
    expect(gate.reason).toContain('no allow window is active');
    expect(gate.retryAt?.toISOString()).toBe('2026-11-25T22:00:00.000Z');
    expect(syncGate(project([nightly]), app, new Date('2026-11-25T23:59:00Z'), false).allowed).toBe(true);
    expect(syncGate(project([{ ...nightly, manualSync: true }]), app, now, true).allowed).toBe(true);
    const always: SyncWindow = { kind: 'allow', schedule: '0 * * * *', duration: '1h', namespaces: ['*'] };
    expect(syncGate(project([always, workHours]), app, now, false).allowed).toBe(false);
  });

  it('joins overlapping occurrences into one open period', () => {
    const [s] = windowStates(
      project([{ kind: 'deny', schedule: '0 * * * *', duration: '90m', applications: ['*'] }]),
      now,
    );
    expect(s?.active).toBe(true);
    expect(s?.nextChange).toBeUndefined(); // open around the clock
  });

  it('reports inactive windows with their next opening', () => {
    const [s] = windowStates(project([{ ...workHours, schedule: '0 9 * * sat' }]), now);
    expect(s).toMatchObject({ active: false, nextChange: new Date('2026-11-28T08:00:00Z') });
  });

  it('names the project and field of a malformed window', () => {
    expect(() => windowStates(project([{ ...workHours, duration: '1 hour' }]), now)).toThrow(
      'Project team-a: spec.syncWindows[0].duration: invalid duration "1 hour"',
    );
    expect(() => windowStates(project([{ ...workHours, timeZone: 'Berlin' }]), now)).toThrow(
      'spec.syncWindows[0].timeZone: unknown time zone "Berlin"',
    );
    expect(() => windowStates(project([{ ...workHours, schedule: '0 9 * *' }]), now)).toThrow(
      /spec\.syncWindows\[0\]\.schedule: cron "0 9 \* \*" must have 5 fields/,
    );
  });
});

describe('windows listing clusters by API URL (Argo CD)', () => {
  it('match the destination by its server URL as well as by name', () => {
    const w = {
      kind: 'deny' as const,
      schedule: '* * * * *',
      duration: '1h',
      clusters: ['https://prod.example:6443'],
    };
    const t = { application: 'a', cluster: 'prod', namespace: 'x' };
    expect(windowMatches(w, { ...t, server: 'https://PROD.example:6443/' })).toBe(true);
    expect(windowMatches(w, { ...t, server: 'https://dev.example:6443' })).toBe(false);
    expect(windowMatches(w, t)).toBe(false);
    expect(windowMatches({ ...w, clusters: ['prod'] }, t)).toBe(true);
  });
});

describe("Argo CD's andOperator and syncOverrun", () => {
  it('andOperator: the window applies only when every list it sets matches', () => {
    const w: SyncWindow = { ...workHours, applications: ['web'], namespaces: ['other'] };
    expect(windowMatches(w, app)).toBe(true);
    expect(windowMatches({ ...w, andOperator: true }, app)).toBe(false);
    expect(windowMatches({ ...w, namespaces: ['team-*'], andOperator: true }, app)).toBe(true);
    // By server URL as by name, under AND too.
    const byServer: SyncWindow = {
      ...w,
      namespaces: ['team-a'],
      clusters: ['https://prod.example:6443'],
      andOperator: true,
    };
    expect(windowMatches(byServer, { ...app, server: 'https://prod.example:6443' })).toBe(true);
    expect(windowMatches(byServer, app)).toBe(false);
    // A window that sets no list matches nothing under AND (Argo CD's loop finds no match).
    expect(
      windowMatches({ kind: 'deny', schedule: '* * * * *', duration: '1h', andOperator: true }, app),
    ).toBe(false);
    expect(syncGate(project([{ ...w, andOperator: true }]), app, now, false).allowed).toBe(true);
  });

  it('syncOverrun on a deny window: a sync that started before it may go on, without it it must stop', () => {
    const started = new Date('2026-11-25T07:30:00Z'); // before the 08:00 UTC start
    const stop = runningSyncGate(project([workHours]), app, now, false, started);
    expect(stop.allowed).toBe(false);
    expect(stop.reason).toContain('has no syncOverrun');
    expect(runningSyncGate(project([{ ...workHours, syncOverrun: true }]), app, now, false, started)).toEqual(
      {
        allowed: true,
      },
    );
    // Started while the window already denied (say, by manualSync): overrun does not cover it.
    const late = new Date('2026-11-25T09:00:00Z');
    expect(
      runningSyncGate(project([{ ...workHours, syncOverrun: true }]), app, now, false, late).allowed,
    ).toBe(false);
    // Every active deny window must allow the overrun.
    const two = project([
      { ...workHours, syncOverrun: true },
      { ...workHours, namespaces: ['team-*'] },
    ]);
    expect(runningSyncGate(two, app, now, false, started).allowed).toBe(false);
  });

  it('syncOverrun on an allow window: a sync that started inside it may run past its end', () => {
    const morning: SyncWindow = {
      kind: 'allow',
      schedule: '0 9 * * *',
      duration: '30m',
      applications: ['*'],
    };
    const started = new Date('2026-11-25T09:20:00Z');
    expect(runningSyncGate(project([morning]), app, now, false, started).allowed).toBe(false);
    expect(
      runningSyncGate(project([{ ...morning, syncOverrun: true }]), app, now, false, started).allowed,
    ).toBe(true);
    // Inside the window the question does not arise.
    expect(
      runningSyncGate(project([morning]), app, new Date('2026-11-25T09:25:00Z'), false, started),
    ).toEqual({
      allowed: true,
    });
  });
});
