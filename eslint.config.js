// Lint encodes the house rules that the compiler does not: no `any`, no non-null `!`, named
// exports, and the architecture's import direction (see ARCHITECTURE.md "Folders").
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const layer = (from, forbidden) => ({
  files: [`src/${from}/**/*.ts`],
  // Tests may use the harness (real binaries, clusters); product code may not.
  ignores: ['src/**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((f) => ({
          group: [`**/${f}/**`, `**/${f}`],
          message: `src/${from} must not import src/${f} (ARCHITECTURE.md: imports only go downward)`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Normalisers strip server-owned fields by name from plain JSON; that is what delete is for.
      '@typescript-eslint/no-dynamic-delete': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  layer('kube', ['engine', 'api', 'fleet', 'governance', 'controllers', 'hub', 'agent', 'cli', 'harness']),
  layer('api', ['engine', 'fleet', 'governance', 'controllers', 'hub', 'agent', 'cli', 'harness']),
  layer('engine', ['api', 'fleet', 'governance', 'controllers', 'hub', 'agent', 'cli', 'harness']),
  layer('fleet', ['controllers', 'hub', 'agent', 'cli', 'harness']),
  layer('governance', ['controllers', 'hub', 'agent', 'cli', 'harness']),
  layer('controllers', ['hub', 'agent', 'cli', 'harness']),
  layer('hub', ['cli', 'harness']),
  layer('agent', ['hub', 'cli', 'harness']),
  layer('cli', ['harness']),
  { files: ['eslint.config.js', 'vitest.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
  // The web UI runs in the browser and talks only to the hub API: it never imports src/.
  {
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src|test|bench|scripts)(/|$)',
              message:
                'web/ must not import the server code (ARCHITECTURE.md: web talks only to the hub API)',
            },
          ],
        },
      ],
    },
  },
  // Vite finds its configuration by the default export.
  { files: ['web/vite.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
