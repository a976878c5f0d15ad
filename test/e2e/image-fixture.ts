// Tiny images for the image automation tests, pushed to the harness registry by a real client:
// crane (go-containerregistry, pinned in scripts/versions.env, built by scripts/build-tools.sh).
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Registry } from '../harness/registry.js';
import { toolVersions } from '../harness/tools.js';

const run = promisify(execFile);

function cranePath(): string {
  const version = toolVersions().CRANE_VERSION ?? '';
  const base = process.env.GITFLEET_TOOLS_DIR ?? join(homedir(), '.cache', 'gitfleet', 'tools');
  const path = join(base, `crane-${version}`, 'bin', 'crane');
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`crane ${version} is not built (${path} missing): run scripts/build-tools.sh crane`);
  }
  return path;
}

/** Pushes images with crane: `push(repo, tag)` makes a one-layer image the first time, then tags it. */
export async function imagePusher(reg: Registry): Promise<{
  push(repository: string, tag: string): Promise<void>;
  /**
   * Pushes a two-platform image (linux/amd64, linux/arm64) as an OCI image index at
   * <repository>:<tag>; the platform images live in <repository>-platforms (so their tags never
   * reach the scanned tag list). Returns the index digest and each platform manifest's digest.
   */
  pushIndex(repository: string, tag: string): Promise<{ index: string; platforms: string[] }>;
  dispose(): void;
}> {
  const crane = cranePath();
  const home = mkdtempSync(join(tmpdir(), 'gitfleet-crane-'));
  // crane trusts the run's test CA through SSL_CERT_FILE, and logs in from stdin (no password in argv).
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    DOCKER_CONFIG: home,
    SSL_CERT_FILE: reg.caFile,
  };
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      crane,
      ['auth', 'login', reg.host, '-u', reg.username, '--password-stdin'],
      { env, timeout: 30_000 },
      (err) => (err ? reject(err) : resolve()),
    );
    child.stdin?.end(reg.password);
  });
  const made = new Set<string>();
  return {
    async push(repository, tag) {
      const ref = `${reg.host}/${repository}`;
      if (!made.has(repository)) {
        const dir = mkdtempSync(join(home, 'layer-'));
        writeFileSync(join(dir, 'hello.txt'), `image ${repository}\n`);
        await run('tar', ['-czf', join(dir, 'layer.tgz'), '-C', dir, 'hello.txt'], { timeout: 30_000 });
        await run(
          crane,
          ['append', '--oci-empty-base', '-f', join(dir, 'layer.tgz'), '-t', `${ref}:${tag}`],
          {
            env,
            timeout: 60_000,
          },
        );
        made.add(repository);
        return;
      }
      const [first] = (await run(crane, ['ls', ref], { env, timeout: 30_000 })).stdout.trim().split('\n');
      await run(crane, ['tag', `${ref}:${first ?? ''}`, tag], { env, timeout: 30_000 });
    },
    async pushIndex(repository, tag) {
      const parts = `${reg.host}/${repository}-platforms`;
      const platforms: string[] = [];
      for (const platform of ['linux/amd64', 'linux/arm64']) {
        const arch = platform.split('/')[1] ?? '';
        const part = `${parts}:${tag}-${arch}`;
        const dir = mkdtempSync(join(home, 'layer-'));
        writeFileSync(join(dir, 'hello.txt'), `image ${repository} ${tag} for ${platform}\n`);
        await run('tar', ['-czf', join(dir, 'layer.tgz'), '-C', dir, 'hello.txt'], { timeout: 30_000 });
        await run(crane, ['append', '--oci-empty-base', '-f', join(dir, 'layer.tgz'), '-t', part], {
          env,
          timeout: 60_000,
        });
        await run(crane, ['mutate', '--set-platform', platform, '-t', part, '--', part], {
          env,
          timeout: 60_000,
        });
        platforms.push((await run(crane, ['digest', '--', part], { env, timeout: 30_000 })).stdout.trim());
      }
      const ref = `${reg.host}/${repository}:${tag}`;
      await run(
        crane,
        [
          'index',
          'append',
          '-m',
          `${parts}@${platforms[0] ?? ''}`,
          '-m',
          `${parts}@${platforms[1] ?? ''}`,
          '-t',
          ref,
        ],
        { env, timeout: 60_000 },
      );
      const index = (await run(crane, ['digest', '--', ref], { env, timeout: 30_000 })).stdout.trim();
      return { index, platforms };
    },
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}
