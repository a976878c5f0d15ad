import { describe, expect, it } from 'vitest';
import { TemplateError } from '../errors.js';
import { renderFast } from './fast.js';

const flat = { name: 'prod', 'path.basename': 'guestbook', 'path[0]': 'apps', empty: '' };

describe('renderFast', () => {
  it('replaces keys, with or without spaces inside the braces', () => {
    expect(renderFast('{{name}}-{{ path.basename }}/{{path[0]}}', flat, 'f')).toBe('prod-guestbook/apps');
  });

  it('leaves text without placeholders untouched, including single braces', () => {
    expect(renderFast('a {b} c', flat, 'f')).toBe('a {b} c');
  });

  it('substitutes a key whose value is the empty string', () => {
    expect(renderFast('x{{empty}}y', flat, 'f')).toBe('xy');
  });

  it('does not render a value that itself looks like a template', () => {
    expect(renderFast('{{v}}', { v: '{{name}}' }, 'f')).toBe('{{name}}');
  });

  it('rejects an unknown key with the field path and the key', () => {
    const err = catchError(() => renderFast('apps/{{ nmae }}', flat, 'spec.source.path'));
    expect(err).toBeInstanceOf(TemplateError);
    expect(err).toMatchObject({ fieldPath: 'spec.source.path', code: 'applicationset.TemplateError' });
    expect(String(err)).toMatch(/spec\.source\.path: unknown key "nmae"/);
  });

  it('rejects Go-template syntax in fasttemplate mode instead of emitting it', () => {
    expect(() => renderFast('{{ .name }}', flat, 'metadata.name')).toThrow(/unknown key "\.name"/);
  });

  it('rejects an unclosed placeholder', () => {
    expect(() => renderFast('a {{name', flat, 'x')).toThrow(/no closing/);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
