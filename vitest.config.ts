import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The unit tests that run tfjs's cpu backend on purpose need no advice to install tfjs-node (it cannot install here).
    onConsoleLog: (log) => !log.includes('looks like you are running TensorFlow.js in Node.js'),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
