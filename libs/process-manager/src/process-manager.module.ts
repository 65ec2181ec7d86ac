import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProcessDefinitionExplorer } from './definition/process-definition.explorer.js';
import { ProcessMetadataAccessor } from './definition/process-metadata.accessor.js';
import { RoutingTable } from './definition/routing-table.js';
import { MessageTypeRegistry } from './messaging/message-type.registry.js';
import { Outbox } from './messaging/outbox.js';
import { OutboxDispatcher } from './messaging/outbox.dispatcher.js';
import { ProcessManagerService } from './operations/process-manager.service.js';
import { createProcessStore } from './persistence/create-process-store.js';
import { ProcessStore } from './persistence/process.store.js';
import { PROCESS_MANAGER_ENTITIES } from './persistence/typeorm/entities/index.js';
import {
  type ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  PROCESS_MANAGER_MODULE_OPTIONS,
} from './process-manager.module-definition.js';
import { RESOLVED_OPTIONS } from './process-manager.internal-constants.js';
import { type ProcessManagerModuleOptions, withDefaults } from './process-manager.options.js';
import { Clock, SystemClock } from './runtime/clock.js';
import { CqrsBuses } from './runtime/cqrs-buses.js';
import { DeliveryFailures } from './runtime/delivery-failures.js';
import { ProcessRunner } from './runtime/process-runner.js';
import { OutboxRelay } from './scheduling/outbox.relay.js';
import { StuckProcessRecoverer } from './scheduling/stuck-process.recoverer.js';
import { TimerPoller } from './scheduling/timer.poller.js';

/**
 * Durable process managers on `@nestjs/cqrs`. Global; the app imports `CqrsModule.forRoot()`,
 * `ScheduleModule.forRoot()` and (for the default store) `TypeOrmModule.forRoot()` itself.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: RESOLVED_OPTIONS, inject: [PROCESS_MANAGER_MODULE_OPTIONS], useFactory: withDefaults },
    { provide: Clock, useClass: SystemClock },
    { provide: ProcessStore, inject: [RESOLVED_OPTIONS, ModuleRef], useFactory: createProcessStore },
    CqrsBuses,
    ProcessMetadataAccessor,
    ProcessDefinitionExplorer,
    MessageTypeRegistry,
    RoutingTable,
    OutboxDispatcher,
    Outbox,
    DeliveryFailures,
    ProcessRunner,
    TimerPoller,
    OutboxRelay,
    StuckProcessRecoverer,
    ProcessManagerService,
  ],
  exports: [ProcessManagerService, Outbox, Clock],
})
export class ProcessManagerModule extends ConfigurableModuleClass {
  /**
   * Registers the module with static options. With the TypeORM store it also registers the library's
   * entities (`TypeOrmModule.forFeature`), so `autoLoadEntities: true` picks them up.
   */
  static override forRoot(options: ProcessManagerModuleOptions = {}): DynamicModule {
    if (options.store !== 'memory') registerEntities(options.dataSourceName);
    return super.forRoot(options);
  }

  /**
   * Registers the module with options built at runtime. The entities are registered for the default
   * DataSource; with a named one, add `PROCESS_MANAGER_ENTITIES` to its `entities` yourself.
   */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    registerEntities(undefined);
    return super.forRootAsync(options);
  }
}

/**
 * Makes `autoLoadEntities: true` pick up the library's entities. `TypeOrmModule.forFeature()` records
 * them for the DataSource when called; we do not import the module it returns, whose repository
 * providers would turn a missing `TypeOrmModule.forRoot()` into an anonymous DI error instead of
 * our `MissingDependencyModuleError` (the store only needs the DataSource).
 */
function registerEntities(dataSourceName: string | undefined): void {
  TypeOrmModule.forFeature(PROCESS_MANAGER_ENTITIES, dataSourceName);
}
