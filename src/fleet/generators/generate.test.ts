import { describe, expect, it } from 'vitest';
import type { GeneratorSpec } from '../types.js';
import { fakePorts, generatorError as rejection } from './fake-ports.js';
import { generate, generateAll } from './generate.js';

const fast = { goTemplate: false };

describe('generate', () => {
  it('requires exactly one generator kind per entry', async () => {
    const none = await rejection(generate({}, fakePorts({}), fast));
    expect(none.message).toMatch(/^generators\[0\]: a generator needs exactly one of .*; found none$/);
    const two: GeneratorSpec = { list: { elements: [] }, clusters: {} };
    expect((await rejection(generate(two, fakePorts({}), fast))).message).toMatch(/found list, clusters$/);
    expect(none.code).toBe('applicationset.GeneratorError');
    expect(none.transient).toBe(false);
  });

  it('filters any generator with its post-selector on param names', async () => {
    const spec: GeneratorSpec = {
      list: { elements: [{ env: 'prod', app: 'a' }, { env: 'dev', app: 'b' }, { app: 'c' }] },
      selector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
    };
    const out = await generate(spec, fakePorts({}), fast);
    expect(out.map((p) => p.app)).toEqual(['a', 'c']);
  });

  it('rejects an invalid post-selector naming the generator', async () => {
    const spec: GeneratorSpec = {
      list: { elements: [] },
      selector: { matchExpressions: [{ key: 'env', operator: 'Exists', values: ['x'] }] },
    };
    const err = await rejection(generate(spec, fakePorts({}), { goTemplate: false, path: 'generators[3]' }));
    expect(err.message).toMatch(/^generators\[3\]: selector\.matchExpressions\[0\].*takes no values/);
  });

  it('keeps a port error classification when it is a GitfleetError', async () => {
    const { GitfleetError } = await import('../../core/errors.js');
    const ports = { ...fakePorts({}), clusters: () => Promise.reject(new GitfleetError('x', 'bad token')) };
    const err = await rejection(generate({ clusters: {} }, ports, fast));
    expect(err.transient).toBe(false);
  });
});

describe('generateAll', () => {
  it('concatenates every generator in order and names each by index', async () => {
    const gens: GeneratorSpec[] = [
      { list: { elements: [{ a: '1' }] } },
      { list: { elements: [{ a: '2' }, { a: '3' }] } },
    ];
    expect(await generateAll(gens, fakePorts({}), fast)).toEqual([{ a: '1' }, { a: '2' }, { a: '3' }]);
    const err = await rejection(
      generateAll([...gens, { clusters: {}, list: { elements: [] } }], fakePorts({}), fast),
    );
    expect(err.generatorPath).toBe('generators[2]');
  });
});
