import { describe, expect, it } from 'vitest';
import { crdHealth } from './crd.js';
import { cond, makeObject } from './fixtures.js';

const crd = (...conditions: Record<string, unknown>[]) =>
  crdHealth(makeObject('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions } }));

describe('crdHealth', () => {
  it('is Healthy when Established', () => {
    expect(crd(cond('NamesAccepted', 'True'), cond('Established', 'True'))).toEqual({ status: 'Healthy' });
  });

  it('is Progressing until Established', () => {
    expect(crd(cond('NamesAccepted', 'True'), cond('Established', 'False', 'Installing')).status).toBe(
      'Progressing',
    );
    expect(crd().status).toBe('Progressing');
  });

  it('is Degraded when its names are not accepted', () => {
    const names = cond('NamesAccepted', 'False', 'MultipleNamesNotAllowed', '"widgets" is already in use');
    expect(crd(names, cond('Established', 'False'))).toEqual({
      status: 'Degraded',
      message: '"widgets" is already in use',
    });
  });
});
