import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { ProcessDefinitionExplorer } from './definition/process-definition.explorer.js';
import { ProcessMetadataAccessor } from './definition/process-metadata.accessor.js';
import { PROCESS_COMPILERS } from './definition/process-compiler.js';
import { RoutingTable } from './definition/routing-table.js';
import { SagaCompiler } from './saga/compile-saga.js';
import { MessageTypeRegistry } from './definition/message-type.registry.js';
import { Outbox } from './typeorm/outbox.js';
import { OutboxDispatcher } from './runtime/outbox.dispatcher.js';
import { ProcessManagerService } from './operations/process-manager.service.js';
import { ProcessVersions } from './operations/process-versions.js';
import { OperatorRepairs } from './operations/operator-repairs.js';
import { createProcessStore } from './create-process-store.js';
import { registerTypeOrmEntities } from './typeorm/typeorm-store.factory.js';
import { FailureStore } from './ports/failure-store.js';
import { OutboxStore } from './ports/outbox-store.js';
import { ProcessControl } from './ports/process-control.js';
import { OperatorStore } from './ports/operator-store.js';
import { ProcessQueries } from './ports/process-queries.js';
import { PROCESS_STORE } from './ports/process-store.js';
import { StepStore } from './ports/step-store.js';
import { TimerStore } from './ports/timer-store.js';
import {
  type ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  PROCESS_MANAGER_MODULE_OPTIONS,
} from './process-manager.module-definition.js';
import { RESOLVED_OPTIONS } from './kernel/constants.js';
import { type ProcessManagerModuleOptions, withDefaults } from './kernel/options.js';
import { Clock, SystemClock } from './kernel/clock.js';
import { CqrsBuses } from './runtime/cqrs-buses.js';
import { DeliveryFailures } from './runtime/delivery-failures.js';
import { UndeliverableMessages } from './runtime/undeliverable-messages.js';
import { ProcessRunner } from './runtime/process-runner.js';
import { StatefulDelivery } from './runtime/stateful-delivery.js';
import { StatelessReaction } from './runtime/stateless-reaction.js';
import { ClaimScopes } from './scheduling/claim-scope.js';
import { OutboxRelay } from './scheduling/outbox.relay.js';
import { StuckProcessRecoverer } from './scheduling/stuck-process.recoverer.js';
import { RetentionJob } from './scheduling/retention.job.js';
import { RetentionStore } from './ports/retention-store.js';
import { HealthQueries } from './ports/health-queries.js';
import { TelemetryQueries } from './ports/telemetry-queries.js';
import { ProcessTelemetry } from './telemetry/process-telemetry.js';
import { ProcessManagerHealthIndicator } from './health/process-manager-health.indicator.js';
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
    { provide: PROCESS_STORE, inject: [RESOLVED_OPTIONS, ModuleRef], useFactory: createProcessStore },
    ...[
      StepStore,
      OutboxStore,
      TimerStore,
      FailureStore,
      ProcessQueries,
      ProcessControl,
      RetentionStore,
      HealthQueries,
      TelemetryQueries,
      OperatorStore,
    ].map((port) => ({
      provide: port,
      useExisting: PROCESS_STORE,
    })),
    CqrsBuses,
    ProcessTelemetry,
    ProcessMetadataAccessor,
    ProcessDefinitionExplorer,
    MessageTypeRegistry,
    { provide: PROCESS_COMPILERS, useValue: [new SagaCompiler()] },
    RoutingTable,
    OutboxDispatcher,
    Outbox,
    DeliveryFailures,
    UndeliverableMessages,
    StatefulDelivery,
    StatelessReaction,
    ProcessRunner,
    ClaimScopes,
    TimerPoller,
    OutboxRelay,
    StuckProcessRecoverer,
    RetentionJob,
    ProcessManagerHealthIndicator,
    OperatorRepairs,
    ProcessVersions,
    ProcessManagerService,
  ],
  exports: [ProcessManagerService, Outbox, Clock, ProcessManagerHealthIndicator],
})
export class ProcessManagerModule extends ConfigurableModuleClass {
  /**
   * Registers the module with static options. With the TypeORM store it also registers the library's
   * entities (`TypeOrmModule.forFeature`), so `autoLoadEntities: true` picks them up.
   */
  static override forRoot(options: ProcessManagerModuleOptions = {}): DynamicModule {
    if (options.store !== 'memory') registerTypeOrmEntities(options.dataSourceName);
    return super.forRoot(options);
  }

  /**
   * Registers the module with options built at runtime. The entities are registered for the default
   * DataSource; with a named one, add `PROCESS_MANAGER_ENTITIES` to its `entities` yourself.
   */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    registerTypeOrmEntities(undefined);
    return super.forRootAsync(options);
  }
}
