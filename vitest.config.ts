import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/**/*.spec.ts', 'services/**/*.spec.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll's 1 s default is less than a loaded two-core machine may take to see a write land.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Two cores: integration tests that start servers run two files at a time at most.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
