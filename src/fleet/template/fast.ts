// fasttemplate, as Argo CD's ApplicationSet uses it: `{{ key }}` is replaced by the flat param of
// that exact name (surrounding spaces ignored). Unlike Argo CD, an unknown key is an error rather
// than being left in place, so a typo can never reach a cluster as a literal `{{…}}`.

import { TemplateError } from '../errors.js';

/**
 * Renders one string with flat params. Throws {@link TemplateError} naming `fieldPath` for an
 * unknown key and for a `{{` without its `}}`.
 */
export function renderFast(text: string, flat: Readonly<Record<string, string>>, fieldPath: string): string {
  let out = '';
  let pos = 0;
  for (;;) {
    const open = text.indexOf('{{', pos);
    if (open < 0) return out + text.slice(pos);
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(fieldPath, `"{{" at offset ${open} has no closing "}}"`);
    const key = text.slice(open + 2, close).trim();
    const value = Object.hasOwn(flat, key) ? flat[key] : undefined;
    if (value === undefined) {
      throw new TemplateError(fieldPath, `unknown key "${key}" in "{{${text.slice(open + 2, close)}}}"`);
    }
    out += text.slice(pos, open) + value;
    pos = close + 2;
  }
}
