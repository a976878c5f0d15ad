import { describe, expect, it } from 'vitest';
import { cond, makeObject, type FixtureParts } from './fixtures.js';
import { jobHealth } from './job.js';

const job = (parts: FixtureParts) => jobHealth(makeObject('batch/v1', 'Job', parts));

describe('jobHealth', () => {
  it('is Healthy when Complete', () => {
    expect(job({ status: { conditions: [cond('Complete', 'True')] } }).status).toBe('Healthy');
  });

  it('is Degraded when Failed, with the condition message', () => {
    const status = {
      conditions: [
        cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      ],
    };
    expect(job({ status })).toEqual({
      status: 'Degraded',
      message: 'Job has reached the specified backoff limit',
    });
  });

  it('is Degraded on FailureTarget before Failed is set', () => {
    expect(job({ status: { conditions: [cond('FailureTarget', 'True', 'DeadlineExceeded')] } })).toEqual({
      status: 'Degraded',
      message: 'DeadlineExceeded',
    });
  });

  it('is Suspended when spec.suspend is true', () => {
    expect(job({ spec: { suspend: true }, status: { conditions: [cond('Suspended', 'True')] } }).status).toBe(
      'Suspended',
    );
  });

  it('is Progressing while running', () => {
    expect(job({ spec: { suspend: false }, status: { active: 1 } })).toEqual({
      status: 'Progressing',
      message: 'Job is running',
    });
  });

  it('ignores conditions that are not True', () => {
    expect(job({ status: { conditions: [cond('Failed', 'False'), cond('Complete', 'False')] } }).status).toBe(
      'Progressing',
    );
  });
});
