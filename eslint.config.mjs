import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'readonly', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core owns its contracts (src/core/store.ts); stores, the CLI and the editor depend on it, never the reverse.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The core must stay vscode-free.' }],
          patterns: [{ group: ['**/backends/**', '**/backends', '**/cli/**', '**/cli', '**/extension/**', '**/extension', '**/sdk/**', '**/sdk'], message: 'src/core imports nothing from backends, cli, extension or sdk: the data flows one way.' }],
        },
      ],
    },
  },
  {
    files: ['src/backends/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The core, backends and CLI must stay vscode-free.' }] }] },
  },
  {
    // Editor features stand alone: what two features share lives in src/extension/shared or src/extension/logic.
    files: ['src/extension/features/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['./*'], message: 'A feature imports no other feature: move what they share to ../shared or ../logic.' }] }],
    },
  },
  {
    // The editor's pure logic loads without VS Code (its unit tests fake nothing); logic/l10n.ts is its one seam.
    files: ['src/extension/logic/**/*.ts', 'src/extension/contributions.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/extension/logic and contributions.ts stay vscode-free: translate with ./l10n.' }],
          patterns: [{ group: ['../features/*', '../shared/*', '**/features/**', '**/shared/**'], message: 'Pure logic imports no editor module.' }],
        },
      ],
    },
  },
);
