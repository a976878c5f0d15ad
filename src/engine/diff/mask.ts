import { GitfleetError } from '../../core/errors.js';
import type { KubeObject } from '../../kube/types.js';

/** What a known Secret value is replaced with in a message. */
export const SECRET_MASK = '***';
/**
 * Shorter values are left alone: masking "1", "yes" or "abc" would wreck every message and reveals
 * nothing an attacker could not guess.
 */
const MIN_LENGTH = 4;
/** Lines of a multi-line value (a PEM key, a config file) are masked on their own from this length. */
const MIN_LINE_LENGTH = 8;

/**
 * The values of the Secrets an Application declares or the engine has read, and the one function
 * that masks them out of any text leaving the engine: API-server errors echo field values
 * ("Invalid value: \"…\"", "expected string, got …"), and those messages reach status, events,
 * logs and the audit trail. Each value is known in every form a message may carry it: as written
 * in stringData, as stored in data (base64), decoded, and JSON-escaped (as Go's %q prints it).
 */
export class SecretMask {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined | null = null;

  /** Adds the values of `o` when it is a Secret; anything else is ignored. */
  add(o: KubeObject | undefined): this {
    if (!o || o.kind !== 'Secret') return this;
    for (const field of ['data', 'stringData'] as const) {
      const map = (o as Record<string, unknown>)[field];
      if (!map || typeof map !== 'object') continue;
      for (const raw of Object.values(map as Record<string, unknown>)) {
        // A YAML `password: 12345678` arrives as a number, and the API server's type error
        // prints it back: a scalar of any type is a value to hide.
        if (raw === null || typeof raw === 'object') continue;
        const v = String(raw as string | number | boolean);
        this.#addValue(v);
        if (field === 'data') {
          const decoded = Buffer.from(v, 'base64');
          const text = decoded.toString('utf8');
          // Only text that survives the round trip: binary data cannot appear in a message.
          if (Buffer.from(text, 'utf8').equals(decoded)) this.#addValue(text);
        } else this.#addValue(Buffer.from(v).toString('base64'));
      }
    }
    return this;
  }

  addAll(objects: Iterable<KubeObject>): this {
    for (const o of objects) this.add(o);
    return this;
  }

  /** How many distinct strings are masked (for tests and diagnostics; never the strings). */
  get size(): number {
    return this.#values.size;
  }

  /** `text` with every known value replaced by `***`. */
  mask(text: string): string;
  mask(text: string | undefined): string | undefined;
  mask(text: string | undefined): string | undefined {
    if (!text) return text;
    const re = this.#regex();
    return re ? text.replace(re, SECRET_MASK) : text;
  }

  /**
   * An error safe to show: same code and transience, masked message, and no `cause` (a logger
   * serialising the cause chain would print the original text).
   */
  maskError(e: unknown): Error {
    const message = e instanceof Error ? e.message : String(e);
    const masked = this.mask(message);
    if (masked === message && e instanceof Error) return e;
    if (e instanceof GitfleetError) return new GitfleetError(e.code, masked, { transient: e.transient });
    return new Error(masked);
  }

  #addValue(v: string): void {
    const forms = [v, JSON.stringify(v).slice(1, -1)];
    if (v.includes('\n')) forms.push(...v.split(/\r?\n/).filter((l) => l.trim().length >= MIN_LINE_LENGTH));
    for (const f of forms) {
      if (f.length >= MIN_LENGTH && !this.#values.has(f)) {
        this.#values.add(f);
        this.#pattern = null;
      }
    }
  }

  #regex(): RegExp | undefined {
    if (this.#pattern === null) {
      // Longest first, so a value is masked whole before a shorter value inside it.
      const alts = [...this.#values].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.#pattern = alts.length ? new RegExp(alts.join('|'), 'g') : undefined;
    }
    return this.#pattern;
  }
}

/** A mask of the Secret values among `objects`. */
export function secretMaskOf(objects: Iterable<KubeObject>): SecretMask {
  return new SecretMask().addAll(objects);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
