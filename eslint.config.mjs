import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'templates/**', 'chaincode-examples/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/plugins/*', '**/plugins/**'], message: 'core must not import plugins' }] }],
    },
  },
  {
    files: ['plugins/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'cli/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
