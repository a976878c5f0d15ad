import { describe, expect, it } from 'vitest';
import { GitfleetError } from '../../core/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { secretMaskOf, SecretMask } from './mask.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = (fields: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, ...fields }) as KubeObject;

describe('SecretMask', () => {
  it('masks stringData and data values in every form a message may carry them', () => {
    const m = secretMaskOf([
      secret({ stringData: { password: 'hunter2-pass' }, data: { token: b64('tok-en-value') } }),
    ]);
    expect(
      m.mask(
        `invalid "hunter2-pass", base64 ${b64('hunter2-pass')}, stored ${b64('tok-en-value')}, decoded tok-en-value`,
      ),
    ).toBe('invalid "***", base64 ***, stored ***, decoded ***');
  });

  it('masks numbers the API server prints back in a type error', () => {
    const m = secretMaskOf([secret({ stringData: { pin: 12345678 } })]);
    expect(m.mask('.stringData.pin: expected string, got &value.valueUnstructured{Value:12345678}')).toBe(
      '.stringData.pin: expected string, got &value.valueUnstructured{Value:***}',
    );
  });

  it('masks the JSON-escaped form and each long line of a multi-line value', () => {
    const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----';
    const m = secretMaskOf([secret({ stringData: { 'tls.key': pem, q: 'say "hi" now' } })]);
    expect(m.mask(`Invalid value: ${JSON.stringify(pem)}`)).toBe('Invalid value: "***"');
    expect(m.mask('line MIIBOgIBAAJBAKj34GkxFhD9 seen')).toBe('line *** seen');
    expect(m.mask('got "say \\"hi\\" now"')).toBe('got "***"');
  });

  it('leaves short values, other kinds and binary data alone', () => {
    const m = secretMaskOf([
      secret({
        stringData: { a: 'yes' },
        data: { bin: Buffer.from([0xff, 0xfe, 0x00, 0x81]).toString('base64') },
      }),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'not-a-secret' } },
    ]);
    expect(m.mask('yes, not-a-secret')).toBe('yes, not-a-secret');
  });

  it('masks a longer value whole before a shorter value inside it', () => {
    const m = secretMaskOf([secret({ stringData: { a: 'abcd', b: 'abcdefgh' } })]);
    expect(m.mask('x abcdefgh y abcd')).toBe('x *** y ***');
  });

  it('makes a safe error: masked message, same code and transience, no cause', () => {
    const m = new SecretMask().add(secret({ stringData: { p: 'sekrit-value' } }));
    const e = new GitfleetError('kube.Invalid', 'bad: sekrit-value', {
      transient: true,
      cause: new Error('sekrit-value'),
    });
    const safe = m.maskError(e) as GitfleetError;
    expect(safe.message).toBe('bad: ***');
    expect(safe.code).toBe('kube.Invalid');
    expect(safe.transient).toBe(true);
    expect(safe.cause).toBeUndefined();
    const clean = new Error('nothing here');
    expect(m.maskError(clean)).toBe(clean);
  });
});
