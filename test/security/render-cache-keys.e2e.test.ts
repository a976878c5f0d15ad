import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RenderCache, renderCached } from '../../src/engine/render/index.js';
import { toolPath } from '../harness/tools.js';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A checkout whose overlay reads `../<base>`. */
function checkout(base: string): string {
  const root = mkdtempSync(join(tmpdir(), 'gitfleet-keys-'));
  temps.push(root);
  mkdirSync(join(root, 'overlay'));
  mkdirSync(join(root, base));
  writeFileSync(join(root, 'overlay/kustomization.yaml'), `resources: [../${base}]\n`);
  writeFileSync(join(root, `${base}/kustomization.yaml`), 'resources: [cm.yaml]\n');
  writeFileSync(
    join(root, `${base}/cm.yaml`),
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${base} }\n`,
  );
  return root;
}

describe('render cache: a tenant URL cannot pass for another content', () => {
  it('two contents whose parts would join into one string keep their own input paths', async () => {
    const cache = new RenderCache();
    const o = { kustomizeBinary: toolPath('kustomize') };
    const sha1 = 'a'.repeat(40);
    const sha2 = 'b'.repeat(40);
    // The victim: repository r at sha1, with a ref source. Joined, `r@<sha1>+x@<sha2>`.
    const victim = checkout('base-victim');
    await renderCached({ root: victim, path: 'overlay', type: 'kustomize' }, o, {
      cache,
      objectId: (p) => Promise.resolve(`victim-${p}`),
      contentKey: { repoURL: 'https://git.example/r', commit: sha1, extra: `+x@${sha2}` },
    });
    // The tenant's repository is named so that the same string comes out: `r@<sha1>+x` at sha2.
    const tenant = checkout('base-tenant');
    const asked: string[] = [];
    const out = await renderCached({ root: tenant, path: 'overlay', type: 'kustomize' }, o, {
      cache,
      objectId: (p) => {
        asked.push(p);
        return Promise.resolve(`tenant-${p}`);
      },
      contentKey: { repoURL: `https://git.example/r@${sha1}+x`, commit: sha2, extra: '' },
    });
    // Its own base is read and keyed: its render is not filed under the victim's inputs.
    expect(asked.sort()).toEqual(['base-tenant', 'overlay']);
    expect(out.map((m) => m.object.metadata.name)).toEqual(['base-tenant']);
  });
});
