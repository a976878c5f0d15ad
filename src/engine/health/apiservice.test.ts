import { describe, expect, it } from 'vitest';
import { apiServiceHealth } from './apiservice.js';
import { cond, makeObject } from './fixtures.js';

const apiService = (...conditions: Record<string, unknown>[]) =>
  apiServiceHealth(makeObject('apiregistration.k8s.io/v1', 'APIService', { status: { conditions } }));

describe('apiServiceHealth', () => {
  it('is Healthy when Available', () => {
    expect(apiService(cond('Available', 'True', 'Passed'))).toEqual({ status: 'Healthy' });
  });

  it('is Degraded when not Available, with the message', () => {
    expect(
      apiService(cond('Available', 'False', 'FailedDiscoveryCheck', 'no response from https://10.0.0.5')),
    ).toEqual({
      status: 'Degraded',
      message: 'no response from https://10.0.0.5',
    });
  });

  it('is Progressing without an Available condition or with Unknown', () => {
    expect(apiService().status).toBe('Progressing');
    expect(apiService(cond('Available', 'Unknown')).status).toBe('Progressing');
  });
});
