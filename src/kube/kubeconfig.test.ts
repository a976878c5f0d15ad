import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConnection } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-kubeconfig-'));
const b64 = (s: string): string => Buffer.from(s).toString('base64');
function kubeconfig(users: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'c',
        cluster: { server: 'https://10.0.0.1:6443/', 'certificate-authority-data': b64('CA-PEM') },
      },
    ],
    users,
    contexts: users.map((u) => ({ name: String(u.name), context: { cluster: 'c', user: String(u.name) } })),
    'current-context': String(users[0]?.name),
    ...extra,
  });
}

describe('loadConnection', () => {
  it('reads embedded certificates and the current context', async () => {
    const c = await loadConnection({
      yaml: kubeconfig([
        { name: 'admin', user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } },
      ]),
    });
    expect(c.server).toBe('https://10.0.0.1:6443');
    expect(String(c.ca)).toBe('CA-PEM');
    expect(String(c.cert)).toBe('CERT');
    expect(String(c.key)).toBe('KEY');
    expect(c.rejectUnauthorized).toBe(true);
  });

  it('resolves file references relative to the kubeconfig and picks a named context', async () => {
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const path = join(dir, 'config');
    writeFileSync(
      path,
      kubeconfig([
        { name: 'a', user: { token: 'a-token' } },
        { name: 'b', user: { tokenFile: 'token' } },
      ]),
    );
    expect((await loadConnection({ file: path })).headers.Authorization).toBe('Bearer a-token');
    expect((await loadConnection({ file: path }, { context: 'b' })).headers.Authorization).toBe(
      'Bearer from-file',
    );
  });

  it('runs an exec credential plugin with its arguments', async () => {
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"$1-$TEAM"'"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const c = await loadConnection({
      yaml: kubeconfig([
        {
          name: 'x',
          user: { exec: { command: plugin, args: ['issued'], env: [{ name: 'TEAM', value: 'platform' }] } },
        },
      ]),
    });
    expect(c.headers.Authorization).toBe('Bearer issued-platform');
  });

  it('names the field that is wrong', async () => {
    await expect(
      loadConnection({ yaml: kubeconfig([{ name: 'x', user: {} }], { 'current-context': 'nope' }) }),
    ).rejects.toThrow(/contexts\[name=nope\]: not found/);
    await expect(
      loadConnection({ yaml: kubeconfig([{ name: 'x', user: { 'auth-provider': { name: 'gcp' } } }]) }),
    ).rejects.toThrow(/auth-provider/);
  });
});
