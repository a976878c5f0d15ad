import { describe, expect, it } from 'vitest';
import { normalizeRepoUrl } from '../engine/source/index.js';
import { credentialsOf, templateMatch } from './credentials.js';

const secret = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'ns' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n';

describe('credentialsOf', () => {
  it('reads username/password, bearerToken and sshPrivateKey', () => {
    expect(
      credentialsOf(secret({ username: 'u', password: 'p', url: 'https://h/r', type: 'git', name: 'x' })),
    ).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(credentialsOf(secret({ sshPrivateKey: KEY }))).toEqual({ sshPrivateKey: KEY });
  });

  it('refuses Argo CD keys it does not implement, naming the Secret and the key', () => {
    for (const [key, value] of [
      ['insecure', 'true'],
      ['tlsClientCertData', 'x'],
      ['githubAppPrivateKey', 'x'],
      ['proxy', 'http://p'],
      ['project', 'default'],
      ['enableLfs', 'true'],
    ] as const)
      expect(() => credentialsOf(secret({ password: 'p', [key]: value }))).toThrow(
        new RegExp(`Secret ns/s: key "${key}" is not supported`),
      );
    expect(credentialsOf(secret({ password: 'p', insecure: 'false' }))).toEqual({ password: 'p' });
    expect(() => credentialsOf(secret({ type: 'helm', password: 'p' }))).toThrow(
      /type "helm" is not a Git credential/,
    );
    expect(() => credentialsOf(secret({ sshPrivateKey: 'hunter2' }))).toThrow(
      /does not hold a PEM or OpenSSH private key/,
    );
  });
});

describe('templateMatch (repo-creds prefixes)', () => {
  const key = (u: string) => normalizeRepoUrl(u);
  it('matches whole path segments and ranks by length', () => {
    expect(templateMatch('https://git.example/org', key('https://git.example/org/app.git'))).toBeGreaterThan(
      0,
    );
    expect(templateMatch('https://git.example/org/', key('https://git.example/org/app'))).toBeGreaterThan(0);
    expect(templateMatch('https://git.example', key('https://git.example/org/app'))).toBeGreaterThan(0);
    expect(templateMatch('https://git.example/org', key('https://git.example/org-other/app'))).toBe(-1);
    expect(templateMatch('https://git.example/org', key('ssh://git@git.example/org/app'))).toBe(-1);
    expect(templateMatch('git@git.example:org', key('ssh://git@git.example/org/app.git'))).toBeGreaterThan(0);
    expect(templateMatch('git@git.example:org', key('git@git.example:org/app.git'))).toBeGreaterThan(0);
    expect(
      templateMatch('https://git.example/org/team', key('https://git.example/org/team/a')),
    ).toBeGreaterThan(templateMatch('https://git.example/org', key('https://git.example/org/team/a')));
    expect(templateMatch('not a url', key('https://git.example/org/app'))).toBe(-1);
  });
});
