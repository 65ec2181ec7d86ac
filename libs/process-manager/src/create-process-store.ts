import type { ModuleRef } from '@nestjs/core';
import type { ResolvedProcessManagerOptions } from './kernel/options.js';
import { InMemoryProcessStore } from './memory/in-memory-process.store.js';
import type { ProcessStore } from './ports/process-store.js';
import { createTypeOrmStore } from './typeorm/typeorm-store.factory.js';

/** Resolved at runtime so `forRootAsync` can choose the store and DataSource from config. */
export function createProcessStore(
  options: ResolvedProcessManagerOptions,
  moduleRef: ModuleRef,
): ProcessStore {
  return options.store === 'memory' ? new InMemoryProcessStore() : createTypeOrmStore(options, moduleRef);
}
