import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The modules a fresh Node process has loaded after importing `entry` (a load hook registered
 * after tsx's own records every URL). A child process: the test runner has loaded everything.
 */
function modulesLoadedBy(entry: string): string[] {
  const hook = `data:text/javascript,${encodeURIComponent(
    `import { appendFileSync } from 'node:fs';
     export async function load(url, ctx, next) { appendFileSync(1, url + '\\n'); return next(url, ctx); }`,
  )}`;
  const script = `
    import { register } from 'node:module';
    register(${JSON.stringify(hook)});
    await import(${JSON.stringify(new URL(entry, import.meta.url).href)});
  `;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
    timeout: 120_000,
  })
    .split('\n')
    .filter(Boolean);
}

describe('the hub composition loads at start only what an idle hub uses', () => {
  // One child process for every case: they all read what importing the composition loaded.
  let atStart: string[] | undefined;
  const loadedAtStart = (): string[] => (atStart ??= modulesLoadedBy('./start.ts'));

  it('leaves the pull request previewer to its first event', () => {
    const loaded = loadedAtStart();
    // The composition itself was loaded (the hook works) ...
    expect(loaded.some((u) => u.endsWith('/src/hub/start.ts'))).toBe(true);
    // ... and the previewer was not.
    expect(loaded.filter((u) => u.endsWith('/src/preview/trigger.ts'))).toEqual([]);
  }, 120_000);

  it('leaves CEL to the first policy, health rule or canary condition written in it', () => {
    const loaded = loadedAtStart();
    expect(loaded.some((u) => u.endsWith('/src/core/cel.ts'))).toBe(true);
    expect(loaded.filter((u) => u.includes('/@marcbachmann/cel-js/'))).toEqual([]);
  }, 120_000);

  it('leaves the fleet engine (generators, templates, roll-outs), Helm rendering and the previewer to first use', () => {
    const loaded = loadedAtStart();
    expect(loaded.some((u) => u.endsWith('/src/controllers/applicationset/controller.ts'))).toBe(true);
    expect(loaded.some((u) => u.endsWith('/src/hub/preview-routes.ts'))).toBe(true);
    expect(
      loaded.filter((u) =>
        /\/src\/fleet\/(index|template\/|rollout|appset)|\/src\/preview\/|\/src\/engine\/render\/helm\.ts/.test(
          u,
        ),
      ),
    ).toEqual([]);
  }, 120_000);
});
