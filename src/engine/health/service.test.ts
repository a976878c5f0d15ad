import { describe, expect, it } from 'vitest';
import { makeObject } from './fixtures.js';
import { serviceHealth } from './service.js';

const lb = (ingress: unknown[]) =>
  serviceHealth(
    makeObject('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress } } }),
  );

describe('serviceHealth', () => {
  it.each(['ClusterIP', 'NodePort', 'ExternalName'])('is Healthy for type %s', (type) => {
    expect(serviceHealth(makeObject('v1', 'Service', { spec: { type } }))).toEqual({ status: 'Healthy' });
  });

  it('is Healthy for a Service without a type (ClusterIP)', () => {
    expect(serviceHealth(makeObject('v1', 'Service', { spec: {} })).status).toBe('Healthy');
  });

  it('is Progressing for a LoadBalancer without an address', () => {
    expect(lb([]).status).toBe('Progressing');
    expect(serviceHealth(makeObject('v1', 'Service', { spec: { type: 'LoadBalancer' } })).status).toBe(
      'Progressing',
    );
  });

  it('ignores load balancer entries without an IP or hostname', () => {
    expect(lb([{ ports: [] }]).status).toBe('Progressing');
  });

  it('is Healthy for a LoadBalancer with an IP or hostname', () => {
    expect(lb([{ ip: '203.0.113.10' }]).status).toBe('Healthy');
    expect(lb([{ hostname: 'lb.example.com' }]).status).toBe('Healthy');
  });
});
