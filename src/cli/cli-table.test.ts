import { describe, expect, it } from 'vitest';
import { COMMANDS, HELP } from './commands-table.js';
import { bashCompletion, zshCompletion } from './completion.js';
import { cleanForBackup } from './backup.js';
import { skewProblem } from './version-info.js';

describe('the command table', () => {
  it('names each command once, and help and both completions list every one', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    const bash = bashCompletion();
    const zsh = zshCompletion();
    for (const n of names) {
      expect(HELP).toContain(`  ${n} `);
      expect(bash).toMatch(new RegExp(`words="[^"]*\\b${n}\\b`));
      expect(zsh).toContain(` ${n}`);
    }
    // Sub-commands are offered after their command.
    expect(bash).toContain('      app) words="create get list diff sync refresh history rollback delete" ;;');
    expect(zsh).toContain('      import) compadd -- argocd ;;');
  });
});

describe('skewProblem', () => {
  it('accepts the same major with minors at most one apart, and says why otherwise', () => {
    expect(skewProblem('0.1.0', '0.1.3')).toBeUndefined();
    expect(skewProblem('1.4.0', 'v1.3.9')).toBeUndefined();
    expect(skewProblem('1.4.0', '1.2.0')).toBe('minor versions 2 and 4 are more than one apart');
    expect(skewProblem('2.0.0', '1.9.0')).toBe("major version 1 differs from the hub's 2");
    expect(skewProblem('0.1.0', 'dev')).toBe('cannot compare "dev" with hub "0.1.0"');
  });
});

describe('cleanForBackup', () => {
  it('drops what the API server owns and status, keeps labels, annotations and owner references', () => {
    const out = cleanForBackup({
      apiVersion: 'gitfleet.dev/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'a',
        namespace: 'n',
        uid: 'u',
        resourceVersion: '5',
        generation: 2,
        creationTimestamp: 't',
        managedFields: [],
        labels: { x: 'y' },
        annotations: { keep: '1', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        ownerReferences: [{ kind: 'ApplicationSet', name: 's', uid: 'old' }],
        finalizers: ['gitfleet.dev/resources-finalizer'],
      },
      spec: { a: 1 },
      status: { sync: { status: 'Synced' } },
    });
    expect(out).toEqual({
      apiVersion: 'gitfleet.dev/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'a',
        namespace: 'n',
        labels: { x: 'y' },
        annotations: { keep: '1' },
        ownerReferences: [{ kind: 'ApplicationSet', name: 's', uid: 'old' }],
        finalizers: ['gitfleet.dev/resources-finalizer'],
      },
      spec: { a: 1 },
    });
  });
});
