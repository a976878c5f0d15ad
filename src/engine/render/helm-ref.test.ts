// `$ref/path` value files of multi-source apps: read from the referenced source's checkout, in the
// order given among the chart's own value files, and confined to that checkout.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { tempTrees } from '../../../test/harness/temp-tree.js';
import { toolPath } from '../../../test/harness/tools.js';
import { PathEscapeError, RenderError } from '../errors.js';
import { render, type RenderOptions } from './index.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const opts: RenderOptions = { helmBinary: toolPath('helm') };
const trees = tempTrees('gitfleet-ref-values-');
afterEach(trees.cleanup);

/** A referenced source's checkout: string values are files, `{ link }` values are symlinks. */
const valuesRepo = trees.tree;

const renderWith = (valueFiles: string[], refRoots: Record<string, string>, ignore = false) =>
  render(
    {
      root: testdata,
      path: 'helm/web',
      helm: { valueFiles, refRoots, ...(ignore ? { ignoreMissingValueFiles: true } : {}) },
    },
    opts,
  );

describe('helm value files from another source ($ref/…)', () => {
  it('applies $ref files in order with the chart’s own value files', async () => {
    const vals = valuesRepo({ 'prod/values.yaml': 'color: red\nsize: xl\n' });
    const out = await renderWith(['$values/prod/values.yaml', 'env/prod.yaml'], { values: vals });
    const data = out.find((m) => m.object.kind === 'ConfigMap')?.object.data as Record<string, string>;
    // env/prod.yaml (later) wins on color; size comes from the referenced repository.
    expect(data).toMatchObject({ color: 'blue', replicas: '3', size: 'xl' });
    const swapped = await renderWith(['env/prod.yaml', '$values/prod/values.yaml'], { values: vals });
    expect(swapped.find((m) => m.object.kind === 'ConfigMap')?.object.data).toMatchObject({ color: 'red' });
  });

  it('refuses an unknown ref, a path leaving the checkout and a symlink out of it', async () => {
    const outside = valuesRepo({ 'secret.yaml': 'color: stolen\n' });
    const vals = valuesRepo({ 'link.yaml': { link: join(outside, 'secret.yaml') } });
    await expect(renderWith(['$other/values.yaml'], { values: vals })).rejects.toThrow(
      /names \$other, which no source of the app declares as ref/,
    );
    await expect(renderWith(['$values/../x.yaml'], { values: vals })).rejects.toBeInstanceOf(PathEscapeError);
    await expect(renderWith(['$values/link.yaml'], { values: vals })).rejects.toBeInstanceOf(PathEscapeError);
  });

  it('skips a missing $ref file only with ignoreMissingValueFiles', async () => {
    const vals = valuesRepo({ 'a.yaml': 'color: red\n' });
    await expect(renderWith(['$values/missing.yaml'], { values: vals })).rejects.toBeInstanceOf(RenderError);
    const out = await renderWith(['$values/missing.yaml'], { values: vals }, true);
    expect(out.find((m) => m.object.kind === 'ConfigMap')?.object.data).toMatchObject({ color: 'grey' });
  });
});

describe('helm fileParameters from another source ($ref/…)', () => {
  it('sets a value from a file of the referenced checkout, confined to it', async () => {
    const vals = valuesRepo({ 'prod/color.txt': 'green' });
    const out = await render(
      {
        root: testdata,
        path: 'helm/web',
        helm: {
          fileParameters: [{ name: 'color', path: '$values/prod/color.txt' }],
          refRoots: { values: vals },
        },
      },
      opts,
    );
    expect(out.find((m) => m.object.kind === 'ConfigMap')?.object.data).toMatchObject({ color: 'green' });
    await expect(
      render(
        {
          root: testdata,
          path: 'helm/web',
          helm: { fileParameters: [{ name: 'color', path: '$values/../x.txt' }], refRoots: { values: vals } },
        },
        opts,
      ),
    ).rejects.toBeInstanceOf(PathEscapeError);
    await expect(
      render(
        {
          root: testdata,
          path: 'helm/web',
          helm: { fileParameters: [{ name: 'color', path: '$nope/color.txt' }], refRoots: { values: vals } },
        },
        opts,
      ),
    ).rejects.toThrow(/names \$nope, which no source of the app declares as ref/);
  });
});
