import { afterEach } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { createTestApp, type TestAppOptions } from './test-app.js';

/**
 * Returns a `createTestApp` whose apps are all closed in `afterEach`, so a failing test never leaks
 * connections or subscriptions into the next one.
 */
export function useTestApps(): (options: TestAppOptions) => Promise<TestingModule> {
  const open: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });
  return async (options) => {
    const app = await createTestApp(options);
    open.push(app);
    return app;
  };
}
