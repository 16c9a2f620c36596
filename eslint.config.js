import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports of a file in src/server/features/<name>/ other than the ones `allowed` names. */
function featureInternals(allowed) {
  return {
    regex: `features/[a-z-]+/(?!(${allowed})\\.js$)[^/]+$`,
    message: 'Use what the feature exports from its index.ts.',
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-output/', 'web/dist/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // A feature is used through its index.ts; its repo, services and schemas stay its own, so its
  // tables and rules can change without reading every other feature. Only the app registers a
  // feature's routes.
  {
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/server/features/**', 'src/server/app.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [featureInternals('index')] }],
    },
  },
  {
    files: ['src/server/app.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [featureInternals('index|routes')] }],
    },
  },
  {
    files: ['src/server/features/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./[a-z-]+/(?!index\\.js$)[^/]+$',
              message: 'Use what the other feature exports from its index.ts.',
            },
          ],
        },
      ],
    },
  },
  // Tests may reach a feature's helpers (an authenticator code, a parser), never its queries.
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^\\.\\.|features)/[a-z-]+/repo\\.js$',
              message: "Another feature's queries: go through its service or the HTTP API.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // node:test's describe/it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
