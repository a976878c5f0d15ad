import { describe, expect, it } from 'vitest';
import { makeObject } from './fixtures.js';
import { ingressHealth } from './ingress.js';

const ingress = (status?: Record<string, unknown>) =>
  ingressHealth(makeObject('networking.k8s.io/v1', 'Ingress', status ? { status } : {}));

describe('ingressHealth', () => {
  it('is Healthy once the controller publishes an address', () => {
    expect(ingress({ loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } })).toEqual({ status: 'Healthy' });
  });

  it('is Progressing without an address', () => {
    expect(ingress({ loadBalancer: {} }).status).toBe('Progressing');
    expect(ingress().status).toBe('Progressing');
  });
});
