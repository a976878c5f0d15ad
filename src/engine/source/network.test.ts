import { describe, expect, it } from 'vitest';
import { DEFAULT_DENIED_NETWORKS, deniedRange, parseDeniedNetworks, screenUrl } from './network.js';

describe('deny-list', () => {
  const denied = parseDeniedNetworks(DEFAULT_DENIED_NETWORKS);

  it('blocks link-local (metadata) addresses by default, also IPv4-mapped, and allows loopback', () => {
    expect(deniedRange(denied, '169.254.169.254')).toBe('169.254.0.0/16');
    expect(deniedRange(denied, '::ffff:169.254.169.254')).toBe('169.254.0.0/16');
    expect(deniedRange(denied, 'fe80::1')).toBe('fe80::/10');
    expect(deniedRange(denied, 'fd00:ec2::254')).toBe('fd00:ec2::254/128');
    expect(deniedRange(denied, '127.0.0.1')).toBeUndefined();
    expect(deniedRange(denied, '10.0.0.5')).toBeUndefined();
  });

  it('rejects malformed ranges naming them', () => {
    for (const bad of ['10.0.0.0/33', 'nope', '10.0.0.0/x', '::/129'])
      expect(() => parseDeniedNetworks([bad])).toThrow(bad);
    expect(deniedRange(parseDeniedNetworks(['10.0.0.5']), '10.0.0.5')).toBe('10.0.0.5');
  });

  it('screens every resolved address and pins the name to them', async () => {
    const resolver = async (h: string): Promise<string[]> =>
      h === 'mixed.test' ? ['127.0.0.1', '169.254.1.1'] : ['127.0.0.1', '::1'];
    await expect(screenUrl('http://mixed.test/r.git', denied, resolver)).rejects.toMatchObject({
      code: 'source.AddressDenied',
    });
    expect(await screenUrl('https://ok.test/r.git', denied, resolver)).toBe('ok.test:443:127.0.0.1,[::1]');
    expect(await screenUrl('http://ok.test:8080/r.git', denied, resolver)).toBe(
      'ok.test:8080:127.0.0.1,[::1]',
    );
    expect(await screenUrl('http://127.0.0.1:9/r.git', denied, resolver)).toBeUndefined();
    await expect(
      screenUrl('http://gone.test/r.git', denied, () => Promise.reject(new Error('ENOTFOUND'))),
    ).rejects.toMatchObject({ code: 'source.Unreachable' });
  });
});
