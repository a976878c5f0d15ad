import { describe, expect, it } from 'vitest';
import { intern, interned, internStrings } from './intern.js';

// Each test uses values no other test (or module) interns, so the shared table's state is known.
const unique = (tag: string): string => `${tag}-${Math.random().toString(36).slice(2)}`;

describe('internStrings', () => {
  it('interns the repeated members of a parsed object, labels included, and changes no value', () => {
    const ns = unique('ns');
    const name = unique('web');
    const team = unique('team');
    const doc = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels: { team }, uid: unique('uid') },
      status: { resources: [{ kind: 'Service', namespace: ns, name, status: 'Synced' }] },
    };
    const parsed = JSON.parse(JSON.stringify(doc)) as typeof doc;
    expect(internStrings(parsed)).toEqual(doc);
    expect(interned(ns)).toBe(true);
    expect(interned(name)).toBe(true);
    expect(interned(team)).toBe(true);
    // Unique values churn the table and are left alone.
    expect(interned(doc.metadata.uid)).toBe(false);
  });

  it('never takes a payload or an annotation into the table, whatever its key is called', () => {
    const secretValue = unique('s3cr3t');
    const note = unique('note');
    const doc = {
      kind: 'Secret',
      metadata: { name: unique('creds'), annotations: { name: note } },
      data: { name: secretValue, server: secretValue },
      stringData: { path: secretValue },
      binaryData: { namespace: secretValue },
    };
    internStrings(doc);
    expect(interned(doc.metadata.name)).toBe(true);
    expect(interned(secretValue)).toBe(false);
    expect(interned(note)).toBe(false);
  });

  it('does not intern long values', () => {
    const long = unique('x'.repeat(300));
    expect(intern(long)).toBe(long);
    expect(interned(long)).toBe(false);
    const short = unique('short');
    expect(intern(short)).toBe(short);
    expect(interned(short)).toBe(true);
  });
});
