import { describe, expect, it } from 'vitest';
import {
  UNREACHABLE,
  assertArgument,
  authorization,
  classifyRemoteFailure,
  gitArgs,
  gitEnv,
  outcomeError,
  scrubber,
} from './git-exec.js';

describe('authorization', () => {
  it('builds Basic from username and password, Bearer from a token, nothing from nothing', () => {
    expect(authorization({ username: 'u', password: 'p' })).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
    expect(authorization({ password: 'tok' })).toBe(`Basic ${Buffer.from('git:tok').toString('base64')}`);
    expect(authorization({ bearerToken: 'b', username: 'u', password: 'p' })).toBe('Bearer b');
    expect(authorization(undefined)).toBeUndefined();
    expect(authorization({})).toBeUndefined();
  });
});

describe('gitEnv', () => {
  it('passes credentials as http.extraHeader through GIT_CONFIG_* and never in argv', () => {
    const env = gitEnv('/cache/home', { username: 'reader', password: 's3cret-pw' });
    expect(env.GIT_CONFIG_COUNT).toBe('1');
    expect(env.GIT_CONFIG_KEY_0).toBe('http.extraHeader');
    expect(env.GIT_CONFIG_VALUE_0).toBe(
      `Authorization: Basic ${Buffer.from('reader:s3cret-pw').toString('base64')}`,
    );
    const argv = gitArgs(['fetch', 'https://h/r.git'], { gitDir: '/m.git' }).join(' ');
    expect(argv).not.toMatch(/s3cret|Authorization|extraHeader/);
  });

  it('disables prompts, system and global config, SSH and non-http transports', () => {
    const env = gitEnv('/cache/home', undefined);
    expect(env).toMatchObject({
      HOME: '/cache/home',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_ALLOW_PROTOCOL: 'http:https',
    });
    expect(env.GIT_SSH_COMMAND).toBeUndefined();
    expect(env.GIT_CONFIG_COUNT).toBeUndefined();
    expect(gitArgs(['fetch'], {})).toEqual(
      expect.arrayContaining(['protocol.file.allow=never', 'protocol.ext.allow=never']),
    );
  });
});

describe('scrubber', () => {
  it('removes passwords, tokens, encoded headers and URL userinfo', () => {
    const creds = { username: 'reader', password: 'hunter2-pw' };
    const b64 = Buffer.from('reader:hunter2-pw').toString('base64');
    const scrub = scrubber(creds);
    const out = scrub(
      `fatal: unable to access 'https://reader:hunter2-pw@h/r.git/': x\nAuthorization: Basic ${b64}\n${b64} hunter2-pw`,
    );
    expect(out).not.toMatch(/hunter2|reader:|aHVudGVy/);
    expect(out).not.toContain(b64);
    expect(out).toContain("'https://h/r.git/'");
  });

  it('removes a bearer token and a token used as username, but not a short plain username', () => {
    expect(scrubber({ bearerToken: 'ghp_abcdefgh12345' })('token ghp_abcdefgh12345 refused')).toBe(
      'token *** refused',
    );
    expect(scrubber({ username: 'glpat-0123456789', password: 'x' })('user glpat-0123456789')).toBe(
      'user ***',
    );
    expect(scrubber({ username: 'git', password: 'pw-secret' })('git-upload-pack pw-secret')).toBe(
      'git-upload-pack ***',
    );
  });
});

describe('classifyRemoteFailure', () => {
  it('treats refused credentials as terminal AuthFailed', () => {
    for (const stderr of [
      "fatal: Authentication failed for 'http://127.0.0.1:1234/r.git/'",
      "fatal: could not read Username for 'http://127.0.0.1:1234': terminal prompts disabled",
      "fatal: unable to access 'http://h/r.git/': The requested URL returned error: 403",
    ])
      expect(classifyRemoteFailure(stderr), stderr).toEqual({ code: 'source.AuthFailed', transient: false });
  });

  it('treats a missing repository as terminal', () => {
    expect(classifyRemoteFailure("fatal: repository 'http://h/nope.git/' not found")).toEqual({
      code: 'source.RepoNotFound',
      transient: false,
    });
  });

  it('treats network, TLS and server errors as transient', () => {
    for (const stderr of [
      "fatal: unable to access 'http://127.0.0.1:9/r.git/': Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server",
      "fatal: unable to access 'https://nope.invalid/r.git/': Could not resolve host: nope.invalid",
      "fatal: unable to access 'https://h/r.git/': The requested URL returned error: 503",
      'error: RPC failed; curl 18 transfer closed with outstanding read data remaining',
      "fatal: unable to access 'https://h/': server certificate verification failed",
    ])
      expect(classifyRemoteFailure(stderr), stderr).toEqual({ code: 'source.Unreachable', transient: true });
    expect(classifyRemoteFailure('fatal: something new')).toEqual({
      code: 'source.FetchFailed',
      transient: true,
    });
  });
});

describe('outcomeError for remote commands', () => {
  const exec = {
    gitBinary: 'git',
    home: '/h',
    timeoutMs: 1000,
    repoUrl: 'http://10.0.0.5:22/',
    remote: true,
  };
  it('gives every connection-level failure the same code and message, and logs the detail', () => {
    const logged: Record<string, unknown>[] = [];
    const log = { warn: (o: Record<string, unknown>) => void logged.push(o) };
    const causes = [
      "fatal: unable to access 'http://10.0.0.5:22/': Failed to connect to 10.0.0.5 port 22: Connection refused",
      "fatal: unable to access 'http://10.0.0.5:22/': Received HTTP/0.9 when not allowed",
      "fatal: repository 'http://10.0.0.5:22/' not found",
      "fatal: unable to access 'http://10.0.0.5:22/': The requested URL returned error: 500",
      'fatal: something new',
    ];
    const errors = causes.map((stderr) =>
      outcomeError('git ls-remote', { code: 128, stderr }, { ...exec, log }),
    );
    errors.push(
      outcomeError('git ls-remote', { code: null, stderr: '', stopped: 'timeout' }, { ...exec, log }),
    );
    for (const e of errors) {
      expect(e.code).toBe('source.Unreachable');
      expect(e.transient).toBe(true);
      expect(e.message).toBe(`http://10.0.0.5:22/: repository http://10.0.0.5:22/ ${UNREACHABLE}`);
    }
    expect(logged.map((o) => o.detail ?? o.timeoutMs)).toEqual([...causes, 1000]);
  });

  it('keeps refused credentials distinct: the caller must learn to fix them', () => {
    const e = outcomeError('git ls-remote', { code: 128, stderr: 'returned error: 401' }, exec);
    expect(e.code).toBe('source.AuthFailed');
  });
});

describe('assertArgument and gitArgs', () => {
  it('refuses option-like and control-character values', () => {
    for (const v of ['-x', '--upload-pack=touch /tmp/x', '-c core.sshCommand=x', 'a\nb', 'a\u0000b'])
      expect(() => assertArgument(v, 'revision', 'http://h/r')).toThrow(
        expect.objectContaining({ code: 'source.InvalidArgument' }),
      );
    expect(() => assertArgument('main', 'revision', 'http://h/r')).not.toThrow();
    expect(() => assertArgument('', 'revision', 'http://h/r')).not.toThrow();
  });

  it('passes the repository as one word and forbids programs run on our behalf', () => {
    const argv = gitArgs(['fetch'], { gitDir: '-odd dir' });
    expect(argv[0]).toBe('--git-dir=-odd dir');
    expect(argv).toEqual(
      expect.arrayContaining(['core.hooksPath=/dev/null', 'core.sshCommand=false', 'protocol.allow=never']),
    );
    expect(gitEnv('/h', undefined).GIT_PROTOCOL_FROM_USER).toBe('0');
    const pinned = gitEnv('/h', { password: 'p' }, 'h:80:127.0.0.1');
    expect(pinned.GIT_CONFIG_COUNT).toBe('2');
    expect(pinned.GIT_CONFIG_KEY_1).toBe('http.curloptResolve');
    expect(pinned.GIT_CONFIG_VALUE_1).toBe('h:80:127.0.0.1');
  });
});
