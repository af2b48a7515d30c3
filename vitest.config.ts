import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start real servers; none of them may outlive the run.
    teardownTimeout: 10_000,
    testTimeout: 20_000,
    allowOnly: false,
  },
});
