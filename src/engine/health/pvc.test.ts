import { describe, expect, it } from 'vitest';
import { makeObject } from './fixtures.js';
import { pvcHealth } from './pvc.js';

const pvc = (phase?: string) =>
  pvcHealth(makeObject('v1', 'PersistentVolumeClaim', phase === undefined ? {} : { status: { phase } }));

describe('pvcHealth', () => {
  it('is Healthy when Bound', () => expect(pvc('Bound').status).toBe('Healthy'));
  it('is Progressing when Pending', () => expect(pvc('Pending').status).toBe('Progressing'));
  it('is Progressing without a phase', () => expect(pvc().status).toBe('Progressing'));
  it('is Degraded when Lost', () => expect(pvc('Lost').status).toBe('Degraded'));
});
