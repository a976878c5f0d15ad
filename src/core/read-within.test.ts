import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FileTooLargeError, readFileWithin } from './read-within.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-read-within-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readFileWithin', () => {
  it('reads a file up to the limit, and refuses one byte more by name and size', async () => {
    writeFileSync(join(dir, 'ten'), 'héllo wor\n'.slice(0, 9)); // 10 bytes: é is two
    await expect(readFileWithin(join(dir, 'ten'), 10, 'app/ten')).resolves.toBe('héllo wor');
    const e = await readFileWithin(join(dir, 'ten'), 9, 'app/ten').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FileTooLargeError);
    expect((e as Error).message).toBe('app/ten: 10 bytes, over the 9 bytes gitfleet reads of one file');
  });

  it('passes the filesystem error through (absent file)', async () => {
    await expect(readFileWithin(join(dir, 'absent'), 10, 'absent')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a directory and a FIFO as not a file, without waiting for a writer', async () => {
    execFileSync('mkfifo', ['--', join(dir, 'fifo')]);
    await expect(readFileWithin(join(dir, 'fifo'), 10, 'fifo')).rejects.toThrow('fifo: not a regular file');
    await expect(readFileWithin(dir, 10, 'dir')).rejects.toThrow('dir: not a regular file');
  });

  it('follows a link only when asked to', async () => {
    writeFileSync(join(dir, 'target'), 'x');
    symlinkSync(join(dir, 'target'), join(dir, 'link'));
    await expect(readFileWithin(join(dir, 'link'), 10, 'link')).resolves.toBe('x');
    await expect(readFileWithin(join(dir, 'link'), 10, 'link', { followLinks: false })).rejects.toMatchObject(
      {
        code: 'ELOOP',
      },
    );
  });

  it('with a root, refuses a file whose real path leaves it, and reads one inside through a link', async () => {
    const root = join(dir, 'root');
    execFileSync('mkdir', ['-p', '--', root]);
    writeFileSync(join(root, 'in'), 'inside');
    symlinkSync(join(root, 'in'), join(root, 'link-in'));
    writeFileSync(join(dir, 'outside'), 'hub file');
    symlinkSync(join(dir, 'outside'), join(root, 'link-out'));
    await expect(readFileWithin(join(root, 'link-in'), 10, 'link-in', { root })).resolves.toBe('inside');
    await expect(readFileWithin(join(root, 'link-out'), 10, 'app/link-out', { root })).rejects.toMatchObject({
      code: 'source.PathEscape',
      message: 'app/link-out: leads out of the repository',
    });
  });
});
