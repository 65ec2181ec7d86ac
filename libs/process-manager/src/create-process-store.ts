import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MissingDependencyModuleError } from './errors/index.js';
import type { ResolvedProcessManagerOptions } from './kernel/options.js';
import { InMemoryProcessStore } from './memory/in-memory-process.store.js';
import type { ProcessStore } from './ports/process-store.js';
import { TypeOrmProcessStore } from './typeorm/typeorm-process.store.js';

/** Resolved at runtime so `forRootAsync` can choose the store and DataSource from config. */
export function createProcessStore(
  options: ResolvedProcessManagerOptions,
  moduleRef: ModuleRef,
): ProcessStore {
  if (options.store === 'memory') return new InMemoryProcessStore();
  // The DataSource is created asynchronously by TypeOrmModule; it exists by onModuleInit, when the store asks.
  return new TypeOrmProcessStore(() => {
    try {
      return moduleRef.get<DataSource>(getDataSourceToken(options.dataSourceName), { strict: false });
    } catch {
      throw new MissingDependencyModuleError(
        `a TypeORM DataSource${options.dataSourceName ? ` named "${options.dataSourceName}"` : ''}`,
        `TypeOrmModule.forRoot(${options.dataSourceName ? `{ name: '${options.dataSourceName}', … }` : ''})`,
      );
    }
  }, options.batching);
}
