// ESLint: typescript-eslint's recommended rules with type information, React hooks' rules for the
// components, and the layer rules of CONTRIBUTING.md as import restrictions (dependency-cruiser
// checks the same layers, and cycles, over the resolved import graph: .dependency-cruiser.cjs).
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.adminjs/**', 'adminjs-bundle/**', 'test-results/**', 'bench/results/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    files: ['components/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      // The classic two; the React Compiler's rules (refs, set-state-in-effect) are for code written for it.
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/server/**', '**/src/store/**', '**/src/feature*', '**/src/write-*', '**/src/collaboration*', '**/src/options*'],
              message: 'components import only src/protocol, src/texts and src/component-config',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['adminjs', 'socket.io', 'express', 'express-session'],
          patterns: [{ group: ['**/server/**', '../feature*', '../write-*'], message: 'the store knows no transport and no AdminJS' }],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'example/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
)
