import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../../kube/types.js';
import { diffObjects } from './diff.js';
import { JqExpressionError, jqIgnoredPointers, jqPaths } from './jq.js';

const deploy = (image: string, env: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'sidecar', image: 'proxy:1' },
          { name: 'app', image, env: [{ name: 'X', value: env }] },
        ],
      },
    },
  },
});

describe('jqPathExpressions (real jq)', () => {
  it('turns the paths an expression selects into JSON pointers, select() included', async () => {
    const ptrs = await jqPaths(
      '.spec.template.spec.containers[] | select(.name == "app") | .env',
      deploy('a', '1'),
    );
    expect(ptrs).toEqual(['/spec/template/spec/containers/1/env']);
    expect(
      await jqPaths('.metadata.labels["a/b~c"]', {
        ...deploy('a', '1'),
        metadata: { name: 'x', labels: { 'a/b~c': 'v' } },
      }),
    ).toEqual(['/metadata/labels/a~1b~0c']);
  });

  it('hides only what the expression selects from the diff, per side', async () => {
    const live = deploy('app:1', 'live');
    const desired = deploy('app:1', 'git');
    // In Git the app container comes first: select() must find index 0 there and 1 live.
    const spec = desired.spec as { template: { spec: { containers: unknown[] } } };
    spec.template.spec.containers.reverse();
    live.spec = { ...(live.spec as object), replicas: 2 };
    const rules = [
      {
        kind: 'Deployment',
        jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "app") | .env'],
      },
    ];
    const jq = {
      live: await jqIgnoredPointers(rules, live),
      predicted: await jqIgnoredPointers(rules, desired),
    };
    expect(jq).toEqual({
      live: ['/spec/template/spec/containers/1/env'],
      predicted: ['/spec/template/spec/containers/0/env'],
    });
    const same = deploy('app:1', 'git');
    const jqSame = {
      live: await jqIgnoredPointers(rules, live),
      predicted: await jqIgnoredPointers(rules, same),
    };
    expect(diffObjects(live, same, rules, jqSame).modified).toBe(false);
    const otherImage = deploy('app:2', 'git');
    const d = diffObjects(live, otherImage, rules, {
      live: jqSame.live,
      predicted: await jqIgnoredPointers(rules, otherImage),
    });
    expect(d.changes.map((c) => c.path)).toEqual(['/spec/template/spec/containers/1/image']);
  });

  it('applies only rules that match the object', async () => {
    const rules = [{ kind: 'StatefulSet', jqPathExpressions: ['.spec'] }];
    expect(await jqIgnoredPointers(rules, deploy('a', '1'))).toEqual([]);
  });

  it('refuses a bad expression naming it and the object, without echoing object values', async () => {
    await expect(jqPaths('.spec[', deploy('a', '1'))).rejects.toThrow(
      /jqPathExpression "\.spec\[" on Deployment\/shop\/web: .*syntax error/,
    );
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n' },
      data: { k: 'c2VjcmV0LXZhbHVl' },
    } as KubeObject;
    const err = await jqPaths('.data.k | ascii_downcase', secret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JqExpressionError);
    expect(String(err)).not.toContain('c2Vj');
    expect(String(err)).toContain('withheld');
  });

  it('cannot read the hub environment and stops at the timeout', async () => {
    process.env.GITFLEET_TEST_TOKEN = 'tok';
    const err = await jqPaths('.a), (env.GITFLEET_TEST_TOKEN', deploy('a', '1')).catch((e: unknown) => e);
    expect(String(err)).not.toContain('tok"');
    delete process.env.GITFLEET_TEST_TOKEN;
    await expect(jqPaths('def f: f; f', deploy('a', '1'), { timeoutMs: 300 })).rejects.toThrow(
      /timed out after 300 ms/,
    );
  });

  it('names the install command when jq is missing', async () => {
    await expect(jqPaths('.spec', deploy('a', '1'), { binary: '/nonexistent/jq' })).rejects.toThrow(
      /apt-get install jq/,
    );
  });
});
