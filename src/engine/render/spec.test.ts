import { afterEach, describe, expect, it } from 'vitest';

import { defaultRenderOptions } from './index.js';
import type { RenderOptions } from './index.js';

const saved = { k: process.env.GITFLEET_KUSTOMIZE, h: process.env.GITFLEET_HELM };
afterEach(() => {
  if (saved.k === undefined) delete process.env.GITFLEET_KUSTOMIZE;
  else process.env.GITFLEET_KUSTOMIZE = saved.k;
  if (saved.h === undefined) delete process.env.GITFLEET_HELM;
  else process.env.GITFLEET_HELM = saved.h;
});

describe('defaultRenderOptions', () => {
  it('defaults to a 60 s timeout, a 32 MiB output limit, resource limits and binaries on PATH', () => {
    delete process.env.GITFLEET_KUSTOMIZE;
    delete process.env.GITFLEET_HELM;
    expect(defaultRenderOptions()).toEqual({
      signal: undefined,
      timeoutMs: 60_000,
      maxOutputBytes: 32 * 1024 * 1024,
      kustomizeBinary: 'kustomize',
      helmBinary: 'helm',
      kustomizePlain: true,
      resources: {
        memoryBytes: 2 * 1024 * 1024 * 1024,
        cpuSeconds: 60,
        fileSizeBytes: 16 * 1024 * 1024,
        openFiles: 1024,
      },
    });
  });

  it('fills resource limits not given with the defaults, and refuses non-positive ones', () => {
    expect(
      defaultRenderOptions({ resources: { memoryBytes: 1024, cpuSeconds: undefined } }).resources,
    ).toEqual({
      memoryBytes: 1024,
      cpuSeconds: 60,
      fileSizeBytes: 16 * 1024 * 1024,
      openFiles: 1024,
    });
    expect(() => defaultRenderOptions({ resources: { cpuSeconds: 0 } })).toThrow(/resources.cpuSeconds/u);
  });

  it('takes binaries from GITFLEET_KUSTOMIZE / GITFLEET_HELM, and options over both', () => {
    process.env.GITFLEET_KUSTOMIZE = '/opt/k';
    process.env.GITFLEET_HELM = '/opt/h';
    expect(defaultRenderOptions()).toMatchObject({ kustomizeBinary: '/opt/k', helmBinary: '/opt/h' });
    expect(defaultRenderOptions({ kustomizeBinary: '/x/k', helmBinary: '/x/h' })).toMatchObject({
      kustomizeBinary: '/x/k',
      helmBinary: '/x/h',
    });
  });

  it('does not modify the caller options', () => {
    const opts: RenderOptions = { timeoutMs: 5 };
    defaultRenderOptions(opts);
    expect(opts).toEqual({ timeoutMs: 5 });
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the limit %s', (v) => {
    expect(() => defaultRenderOptions({ timeoutMs: v })).toThrow(RangeError);
    expect(() => defaultRenderOptions({ maxOutputBytes: v })).toThrow(RangeError);
  });
});
