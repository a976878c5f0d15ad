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
  it('accepts http(s) only', () => {
    for (const bad of ['file:///etc', 'ssh://h/a', 'git@h:a/b', 'ext::sh -c id', 'git://h/a']) {
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
