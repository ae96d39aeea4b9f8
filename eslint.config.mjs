import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'templates/**', 'chaincode-examples/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/plugins/*', '**/plugins/**'], message: 'only core/node resolves plugins (by name, from config): import core interfaces instead' }] }],
    },
  },
  {
    // Plugins meet core through its interfaces; tests, benchmarks and the testing kit for generated
    // projects wire concrete plugins on purpose. The CLI's commands and services resolve plugins by
    // name through core/node, like a node does.
    files: ['plugins/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'cli/testing/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
