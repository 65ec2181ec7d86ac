import type { ModuleRef } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MissingDependencyModuleError } from '../errors/index.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { PROCESS_MANAGER_ENTITIES } from './entities/index.js';
import { TypeOrmProcessStore } from './typeorm-process.store.js';

/** The PostgreSQL store on the app's DataSource, looked up when the store first needs it. */
export function createTypeOrmStore(
  options: ResolvedProcessManagerOptions,
  moduleRef: ModuleRef,
): TypeOrmProcessStore {
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

/**
 * Makes `autoLoadEntities: true` pick up the library's entities. `TypeOrmModule.forFeature()` records
 * them for the DataSource when called; we do not import the module it returns, whose repository
 * providers would turn a missing `TypeOrmModule.forRoot()` into an anonymous DI error instead of
 * our `MissingDependencyModuleError` (the store only needs the DataSource).
 */
export function registerTypeOrmEntities(dataSourceName: string | undefined): void {
  TypeOrmModule.forFeature(PROCESS_MANAGER_ENTITIES, dataSourceName);
}
