import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupCommit } from './batch.js';
import { openAuditStore, SQLITE_FILE } from './open.js';
import { openPgliteDriver } from './pglite-driver.js';
import { SqlAuditStore } from './sql-store.js';
import type { AuditRecord } from './types.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gitfleet-audit-unit-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const rec = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  operation: 'auto-sync',
  trigger: 'automated',
  appNamespace: 'apps',
  app: 'web',
  project: 'default',
  cluster: 'prod',
  namespace: 'web',
  revision: 'ab'.repeat(20),
  repoURL: 'https://git.example/web.git',
  result: 'Succeeded',
  message: 'ok',
  startedAt: new Date('2026-01-01T00:00:00Z'),
  durationMs: 12.4,
  objects: [{ kind: 'ConfigMap', namespace: 'web', name: 'a', action: 'created' }],
  unchanged: 2,
  ...over,
});

describe('embedded audit store (SQLite)', () => {
  it('writes and answers the same queries as the PostgreSQL store, across a restart', async () => {
    const dir = tmp();
    let store = await openAuditStore(dir);
    await Promise.all([
      store.record(rec()),
      store.record(
        rec({
          app: 'db',
          cluster: 'dev',
          revision: 'cd'.repeat(20),
          startedAt: new Date('2026-01-02T00:00:00Z'),
        }),
      ),
      store.record(
        rec({
          operation: 'manual-sync',
          trigger: 'user',
          user: 'alice',
          project: 'team-a',
          startedAt: new Date('2026-01-03T00:00:00Z'),
        }),
      ),
    ]);
    await store.close();
    store = await openAuditStore(dir);
    try {
      const all = await store.query({});
      expect(all.map((e) => e.startedAt.toISOString())).toEqual([
        '2026-01-03T00:00:00.000Z',
        '2026-01-02T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
      ]);
      expect(all[2]).toEqual({ id: 1, ...rec(), durationMs: 12 });
      expect(all[0]).toMatchObject({ user: 'alice', trigger: 'user' });
      expect(all[2]).not.toHaveProperty('user');
      expect((await store.query({ app: 'apps/db' })).map((e) => e.app)).toEqual(['db']);
      expect(await store.query({ app: 'other/db' })).toEqual([]);
      expect((await store.query({ cluster: 'prod' })).length).toBe(2);
      // Commit prefixes of any case; a prefix that only matches with another case of letters
      // must not match by accident (SQLite's LIKE would ignore case).
      expect((await store.query({ commit: 'CDCD' })).map((e) => e.app)).toEqual(['db']);
      expect((await store.query({ commit: 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd' })).length).toBe(1);
      expect(await store.query({ commit: 'abce' })).toEqual([]);
      expect((await store.query({ user: 'alice' })).length).toBe(1);
      expect((await store.query({ project: 'team-a' })).length).toBe(1);
      expect((await store.query({ since: new Date('2026-01-02T00:00:00Z') })).length).toBe(2);
      expect((await store.query({ until: new Date('2026-01-01T12:00:00Z') })).length).toBe(1);
      expect((await store.query({ limit: 1 })).length).toBe(1);
      await expect(store.query({ commit: 'zz' })).rejects.toThrow('commit must be a SHA');
      await expect(store.query({ limit: 1001 })).rejects.toThrow('limit must be an integer from 1 to 1000');
    } finally {
      await store.close();
    }
  });

  it('refuses UPDATE and DELETE from any client, and records its migrations', async () => {
    const dir = tmp();
    const store = await openAuditStore(dir);
    await store.record(rec());
    await store.close();
    const db = new Database(join(dir, SQLITE_FILE));
    try {
      expect(() => db.exec(`UPDATE gitfleet_audit SET username = 'mallory'`)).toThrow(
        'the gitfleet audit trail is append-only: UPDATE refused',
      );
      expect(() => db.exec('DELETE FROM gitfleet_audit')).toThrow('append-only: DELETE refused');
      expect(db.prepare('SELECT count(*) AS n FROM gitfleet_audit').get()).toMatchObject({ n: 1 });
      expect(db.prepare('SELECT version, name FROM gitfleet_audit_migrations').all()).toMatchObject([
        { version: 1, name: 'audit table' },
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses an unwritable location with an error naming it', async () => {
    const file = join(tmp(), 'not-a-dir');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'x');
    await expect(openAuditStore(file)).rejects.toThrow(`cannot create the audit store directory ${file}`);
  });

  it('imports a trail the earlier embedded store (PGlite) left in the directory, once', async () => {
    const dir = tmp();
    const old = await SqlAuditStore.open(await openPgliteDriver(dir));
    await old.record(rec({ app: 'one' }));
    await old.record(rec({ app: 'two', user: 'bob', trigger: 'user', operation: 'manual-sync' }));
    await old.close();
    const told: string[] = [];
    let store = await openAuditStore(dir, { onImport: (m) => told.push(m) });
    await store.record(rec({ app: 'three', startedAt: new Date('2026-02-01T00:00:00Z') }));
    await store.close();
    store = await openAuditStore(dir, { onImport: (m) => told.push(m) });
    try {
      const all = await store.query({});
      expect(all.map((e) => [e.id, e.app, e.user])).toEqual([
        [3, 'three', undefined],
        [2, 'two', 'bob'],
        [1, 'one', undefined],
      ]);
      expect(told).toHaveLength(1);
      expect(told[0]).toContain('imported 2 audit entries');
    } finally {
      await store.close();
    }
  }, 240_000); // PGlite makes the legacy fixture: initdb in WebAssembly, 5 s idle, a minute on a loaded machine
});

describe('group commit', () => {
  it('writes the records of one turn in one batch, and each caller waits for its commit', async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      batches.push(items);
    });
    const first = Promise.all([1, 2, 3].map((i) => g.add(i)));
    await new Promise((r) => setImmediate(r));
    // Handed in while the first batch is being written: they go together in the next one.
    const second = Promise.all([4, 5].map((i) => g.add(i)));
    await first;
    expect(batches).toEqual([[1, 2, 3]]);
    await second;
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('fails the callers of a failed batch only, refuses when the backlog is full, and drains on close', async () => {
    let fail = true;
    const written: number[] = [];
    const g = new GroupCommit<number>(
      (items) => {
        if (fail) throw new Error('database down');
        written.push(...items);
      },
      { maxPending: 2 },
    );
    const a = g.add(1);
    const b = g.add(2);
    await expect(g.add(3)).rejects.toThrow('2 audit records are waiting');
    await expect(a).rejects.toThrow('database down');
    await expect(b).rejects.toThrow('database down');
    fail = false;
    const c = g.add(4);
    await g.close();
    await c;
    expect(written).toEqual([4]);
    await expect(g.add(5)).rejects.toThrow('closed');
  });
});
