import { describe, expect, it } from 'vitest';
import { SourceError } from '../errors.js';
import { locateRepo, normalizeRepoUrl } from './url.js';

describe('normalizeRepoUrl', () => {
  it('gives every spelling of one repository the same key', () => {
    const forms = [
      'https://github.com/org/app',
      'https://github.com/org/app.git',
      'https://github.com/org/app/',
      'https://github.com/org/app.git/',
      'https://GitHub.COM/org/app',
      'HTTPS://github.com:443/org/app',
      'https://user:secret@github.com/org/app.git',
      'https://github.com/org/app.git#readme',
      '  https://github.com/org/app  ',
    ];
    for (const f of forms) expect(normalizeRepoUrl(f), f).toBe('https://github.com/org/app');
  });

  it('keeps what tells repositories apart: path case, scheme, non-default port', () => {
    expect(normalizeRepoUrl('https://github.com/Org/App')).toBe('https://github.com/Org/App');
    expect(normalizeRepoUrl('http://git.local:8080/a/b.git')).toBe('http://git.local:8080/a/b');
    expect(normalizeRepoUrl('http://git.local:80/a/b')).toBe('http://git.local/a/b');
    expect(normalizeRepoUrl('http://git.local/a/b')).not.toBe(normalizeRepoUrl('https://git.local/a/b'));
  });

  it('normalises SSH and scp-like URLs found in webhook payloads', () => {
    expect(normalizeRepoUrl('git@github.com:org/app.git')).toBe('ssh://github.com/org/app');
    expect(normalizeRepoUrl('ssh://git@GitHub.com:22/org/app.git')).toBe('ssh://github.com/org/app');
    expect(normalizeRepoUrl('ssh://git@gitlab.local:2222/g/p.git')).toBe('ssh://gitlab.local:2222/g/p');
    expect(normalizeRepoUrl('git://github.com/org/app.git')).toBe('git://github.com/org/app');
  });

  it('only strips one .git suffix and never a .git inside a name', () => {
    expect(normalizeRepoUrl('https://h/org/app.github')).toBe('https://h/org/app.github');
    expect(normalizeRepoUrl('https://h/org/app.git.git')).toBe('https://h/org/app.git');
  });

  it('throws source.UnsupportedUrl for text that is not a URL', () => {
    for (const bad of ['', 'not a url', '/abs/path', 'http://']) {
      const err = thrown(() => normalizeRepoUrl(bad));
      expect(err, bad).toBeInstanceOf(SourceError);
      expect((err as SourceError).code).toBe('source.UnsupportedUrl');
    }
  });
});

describe('locateRepo', () => {
  it('accepts http(s) and ssh only', () => {
    for (const bad of ['file:///etc', 'ext::sh -c id', 'git://h/a', 'git+ssh://h/a', '/abs/path', 'a/b:c']) {
      const err = thrown(() => locateRepo(bad));
      expect(err, bad).toBeInstanceOf(SourceError);
      expect((err as SourceError).code).toBe('source.UnsupportedUrl');
      expect((err as SourceError).transient).toBe(false);
    }
  });

  it('drops userinfo from the fetch URL and keys the mirror by the normalised URL', () => {
    const a = locateRepo('https://u:p@Example.com/x/y.git');
    const b = locateRepo('https://example.com/x/y/');
    expect(a.fetchUrl).toBe('https://example.com/x/y.git');
    expect(a.key).toBe('https://example.com/x/y');
    expect(a.mirrorName).toBe(b.mirrorName);
    expect(a.mirrorName).toMatch(/^[0-9a-f]{16}\.git$/);
    expect(a.ssh).toBeUndefined();
  });

  it('parses ssh:// URLs: user, host, port and the known_hosts name', () => {
    const a = locateRepo('ssh://git@GitHub.com/org/app.git');
    expect(a.fetchUrl).toBe('ssh://git@github.com/org/app.git');
    expect(a.key).toBe('ssh://github.com/org/app');
    expect(a.ssh).toEqual({ user: 'git', host: 'github.com', port: 22, knownHostsName: 'github.com' });
    const b = locateRepo('ssh://git@127.0.0.1:2222/team/app.git');
    expect(b.fetchUrl).toBe('ssh://git@127.0.0.1:2222/team/app.git');
    expect(b.ssh).toEqual({ user: 'git', host: '127.0.0.1', port: 2222, knownHostsName: '[127.0.0.1]:2222' });
    const c = locateRepo('ssh://[::1]:2200/r.git');
    expect(c.fetchUrl).toBe('ssh://[::1]:2200/r.git');
    expect(c.ssh).toEqual({ user: undefined, host: '::1', port: 2200, knownHostsName: '[::1]:2200' });
  });

  it('parses scp-like URLs and keys them like the ssh:// form', () => {
    const a = locateRepo('git@github.com:org/app.git');
    expect(a.fetchUrl).toBe('git@github.com:org/app.git');
    expect(a.key).toBe('ssh://github.com/org/app');
    expect(a.mirrorName).toBe(locateRepo('ssh://git@github.com/org/app.git').mirrorName);
    expect(a.ssh).toEqual({ user: 'git', host: 'github.com', port: 22, knownHostsName: 'github.com' });
    expect(locateRepo('gitlab.local:group/p.git').ssh?.user).toBeUndefined();
  });

  it('refuses SSH URLs whose host, user or path ssh or git could read as an option', () => {
    const cases: [string, RegExp][] = [
      ['-oProxyCommand=touch /tmp/x@host:x', /only http\(s\) and ssh URLs/],
      ['-oProxyCommand=x@host:x', /user must not start with "-"/],
      ['git@-oProxyCommand=x:repo', /host must not start with "-"/],
      ['ssh://-oProxyCommand=x@h/r.git', /user must not start with "-"/],
      ['ssh://git@-oProxyCommand=x/r.git', /host must not start with "-"/],
      ['git@host:-u/repo', /path must not start with "-"/],
      ['ssh://git:secret@h/r.git', /must not hold a password/],
      ['git@h$(id):r', /host name or an IP address/],
      ['us er@h:r', /user may hold only/],
      ['git@h:', /names no repository path/],
      ['ssh://h/', /names no repository path/],
      ['git@h:r\nx', /control characters/],
      ['ext::sh -c id', /transport/],
    ];
    for (const [url, why] of cases) {
      const err = thrown(() => locateRepo(url));
      expect(err, url).toBeInstanceOf(SourceError);
      expect((err as SourceError).code, url).toBe('source.UnsupportedUrl');
      expect((err as SourceError).message, url).toMatch(why);
    }
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
