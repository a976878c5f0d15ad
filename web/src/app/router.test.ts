import { describe, expect, it } from 'vitest';
import { appPath, parseRoute } from './router';

describe('routes', () => {
  it('maps paths to pages and back', () => {
    expect(parseRoute('/')).toEqual({ page: 'fleet' });
    expect(parseRoute(appPath('team a', 'web'))).toEqual({
      page: 'application',
      namespace: 'team a',
      name: 'web',
    });
    expect(parseRoute('/clusters/prod')).toEqual({ page: 'cluster', name: 'prod' });
    expect(parseRoute('/rollouts')).toEqual({ page: 'rollouts' });
    expect(parseRoute('/rollouts/ns/set')).toEqual({ page: 'rollout', namespace: 'ns', name: 'set' });
    expect(parseRoute('/apps/only-one')).toEqual({ page: 'not-found' });
  });
});
