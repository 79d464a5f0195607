import tseslint from 'typescript-eslint';

// Type-aware lint: the rules that catch real bugs in async Node code.
export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', '**/generated/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['packages/**/*.ts', 'services/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
