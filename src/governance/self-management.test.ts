import { describe, expect, it } from 'vitest';
import { applicationHealth } from '../engine/health/application.js';
import { isSelfManagement, SELF_MANAGEMENT_ANNOTATION } from './self-management.js';

const app = (namespace: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'gitfleet', namespace, annotations },
});

describe('self-management', () => {
  it('is claimed only by an annotated Application in a hub namespace', () => {
    const hubNs = ['gitfleet-system'];
    expect(isSelfManagement(app('gitfleet-system', { [SELF_MANAGEMENT_ANNOTATION]: 'true' }), hubNs)).toBe(
      true,
    );
    // A tenant's Application carrying the annotation gains nothing.
    expect(isSelfManagement(app('team-a', { [SELF_MANAGEMENT_ANNOTATION]: 'true' }), hubNs)).toBe(false);
    expect(isSelfManagement(app('gitfleet-system'), hubNs)).toBe(false);
    expect(isSelfManagement(app('gitfleet-system', { [SELF_MANAGEMENT_ANNOTATION]: 'yes' }), hubNs)).toBe(
      false,
    );
  });

  it('an Application that owns itself is Healthy; another child waits for its own report', () => {
    const self = app('gitfleet-system', { 'gitfleet.dev/owner': 'gitfleet-system/gitfleet' });
    expect(applicationHealth(self).status).toBe('Healthy');
    const child = app('gitfleet-system', { 'gitfleet.dev/owner': 'gitfleet-system/parent' });
    expect(applicationHealth(child).status).toBe('Progressing');
  });
});
