// Lint enforces the dependency rule of ARCHITECTURE.md, folder by folder.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = { group: ['node:*'], message: 'This folder must not touch Node.js: keep it portable.' };
const electronPkg = { name: 'electron', message: 'Only electron/main and electron/preload may import Electron.' };
const electronDir = {
  group: ['**/electron/**', '../electron/*', '../../electron/*'],
  message: 'The UI talks to the backend only through the contract in shared/.',
};

const restrict = (paths, patterns) => ['error', { paths, patterns }];

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'docs/', 'test-results/', '.tmp/', 'build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [electronPkg, { name: 'react', message: 'shared/ has no UI code.' }],
        [
          nodeBuiltins,
          {
            group: ['../electron/**', '../renderer/**', '../test/**'],
            message: 'shared/ imports nothing outside itself.',
          },
        ],
      ),
    },
  },
  {
    files: ['electron/engine/**/*.ts', 'electron/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [electronPkg],
        [
          {
            group: ['**/main/*', '**/preload/*', '**/renderer/**'],
            message: 'The engine and CLI never depend on a shell or the UI.',
          },
        ],
      ),
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [],
        [
          nodeBuiltins,
          {
            group: ['**/engine/**', '**/main/**', '**/cli/**', '**/renderer/**'],
            message: 'The preload imports shared/ and Electron only.',
          },
        ],
      ),
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // We do not use the React Compiler; TanStack Virtual is fine without it.
      'react-hooks/incompatible-library': 'off',
      'no-restricted-imports': restrict([electronPkg], [nodeBuiltins, electronDir]),
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The renderer has no Node.js process.' },
        { name: 'require', message: 'The renderer has no require.' },
      ],
    },
  },
);
