import { describe, expect, it } from 'vitest';
import { cronJobHealth } from './cronjob.js';
import { makeObject, type FixtureParts } from './fixtures.js';

const cronJob = (parts: FixtureParts) => cronJobHealth(makeObject('batch/v1', 'CronJob', parts));

describe('cronJobHealth', () => {
  it('is Healthy when the last scheduled run succeeded', () => {
    const status = { lastScheduleTime: '2025-01-01T10:00:00Z', lastSuccessfulTime: '2025-01-01T10:00:42Z' };
    expect(cronJob({ status })).toEqual({ status: 'Healthy' });
  });

  it('is Healthy before it is first scheduled', () => {
    expect(cronJob({ spec: { schedule: '@daily' } }).status).toBe('Healthy');
  });

  it('is Suspended when spec.suspend is true', () => {
    expect(cronJob({ spec: { suspend: true } }).status).toBe('Suspended');
  });

  it('is Progressing while a job is running', () => {
    const status = { active: [{ kind: 'Job', name: 'backup-1' }], lastScheduleTime: '2025-01-01T11:00:00Z' };
    expect(cronJob({ status })).toEqual({ status: 'Progressing', message: 'CronJob has 1 running job' });
  });

  it('is Degraded when the last scheduled run did not succeed', () => {
    const status = { lastScheduleTime: '2025-01-01T11:00:00Z', lastSuccessfulTime: '2025-01-01T10:00:42Z' };
    expect(cronJob({ status }).status).toBe('Degraded');
  });

  it('is Degraded when it was scheduled but has never succeeded', () => {
    expect(cronJob({ status: { lastScheduleTime: '2025-01-01T11:00:00Z' } }).status).toBe('Degraded');
  });
});
