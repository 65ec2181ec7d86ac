import { describe, expect, it } from '@jest/globals';
import { Module, type ModuleMetadata } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { MissingDependencyModuleError, ProcessManagerModule } from 'nestjs-process-manager';
import { OrderProcess } from './support/fixtures/orders.js';

async function boot(imports: ModuleMetadata['imports']) {
  @Module({ imports, providers: [OrderProcess] })
  class AppModule {}
  const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app.useLogger(false);
  try {
    await app.init();
  } finally {
    await app.close();
  }
}

describe('ProcessManagerModule', () => {
  it('names CqrsModule.forRoot() when the app does not import it', async () => {
    const booted = boot([ProcessManagerModule.forRoot({ store: 'memory' })]);
    await expect(booted).rejects.toThrow(MissingDependencyModuleError);
    await expect(booted).rejects.toThrow(/CqrsModule\.forRoot\(\)/);
  });

  it('names TypeOrmModule.forRoot() when the TypeORM store has no DataSource', async () => {
    const booted = boot([CqrsModule.forRoot(), ProcessManagerModule.forRoot()]);
    await expect(booted).rejects.toThrow(MissingDependencyModuleError);
    await expect(booted).rejects.toThrow(/TypeOrmModule\.forRoot\(/);
  });
});
