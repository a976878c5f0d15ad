import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, next to the code) and `e2e` (real clusters and Git server,
// started once per run by the global setup and shared by every e2e file).
export default defineConfig({
  test: {
    projects: [
      {
        // Unit tests run first, on their own: they need no fleet.
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/harness/**/*.test.ts', 'web/src/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts', 'test/security/**/*.e2e.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores: files run in parallel against the shared fleet, isolated by namespace.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
