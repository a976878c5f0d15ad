import { describe, expect, it } from 'vitest';
import { fakePorts, generatorError as rejection } from './fake-ports.js';
import { generate } from './generate.js';

const fast = { goTemplate: false };
const go = { goTemplate: true };

describe('list generator', () => {
  const spec = {
    list: { elements: [{ cluster: 'eu', conf: { replicas: 2, tags: ['a'] } }, { cluster: 'us' }] },
  };

  it('flattens nested values to dotted string keys for fasttemplate', async () => {
    expect(await generate(spec, fakePorts({}), fast)).toEqual([
      { cluster: 'eu', 'conf.replicas': '2', 'conf.tags.0': 'a' },
      { cluster: 'us' },
    ]);
  });

  it('keeps nested values for goTemplate, as copies', async () => {
    const out = await generate(spec, fakePorts({}), go);
    expect(out).toEqual(spec.list.elements);
    expect(out[0]).not.toBe(spec.list.elements[0]);
  });

  it('takes element strings literally outside a matrix', async () => {
    expect(await generate({ list: { elements: [{ a: '{{b}}' }] } }, fakePorts({}), fast)).toEqual([
      { a: '{{b}}' },
    ]);
  });

  it('rejects an element that is not a map', async () => {
    const err = await rejection(generate({ list: { elements: ['x' as never] } }, fakePorts({}), fast));
    expect(err.message).toBe('generators[0].list: list.elements[0] must be a map of parameters');
    expect(err.generatorPath).toBe('generators[0].list');
  });
});

describe("list generator: Argo CD's elementsYaml", () => {
  it('adds the YAML list after elements', async () => {
    const out = await generate(
      { list: { elements: [{ a: '1' }], elementsYaml: '- a: "2"\n- a: "3"\n  b: { c: x }' } },
      fakePorts({}),
      { goTemplate: true },
    );
    expect(out).toEqual([{ a: '1' }, { a: '2' }, { a: '3', b: { c: 'x' } }]);
  });
  it('names a YAML item that is not a map, and YAML that is not a list', async () => {
    await expect(
      generate({ list: { elementsYaml: '- a: 1\n- 7' } }, fakePorts({}), { goTemplate: true }),
    ).rejects.toThrow('generators[0].list: list.elementsYaml[1] must be a map of parameters');
    await expect(
      generate({ list: { elementsYaml: 'a: 1' } }, fakePorts({}), { goTemplate: true }),
    ).rejects.toThrow(/list.elementsYaml must be a YAML list/);
  });
});
