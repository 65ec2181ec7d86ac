import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProcessManagerModule } from 'nestjs-process-manager';
import { CommonModule } from './common/common.module.js';
import { SampleDashboardModule } from './dashboard/sample-dashboard.module.js';
import { typeOrmOptions } from './database/typeorm-options.js';
import { DocumentsModule } from './documents/documents.module.js';
import { DownstreamModule } from './downstream/downstream.module.js';
import { GroupCheckoutModule } from './group-checkout/group-checkout.module.js';
import { HealthModule } from './health/health.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { ProcessesModule } from './processes/processes.module.js';
import { SampleConfigModule } from './sample-config.module.js';
import { TelemetryModule } from './telemetry/telemetry.module.js';
import { resolveSampleOptions, type SampleOptions } from './sample-options.js';

@Module({})
export class AppModule {
  /** The whole sample on the given database; the app owns the global `forRoot()`s the library relies on. */
  static forRoot(options: SampleOptions): DynamicModule {
    const resolved = resolveSampleOptions(options);
    return {
      module: AppModule,
      imports: [
        SampleConfigModule.forRoot(resolved),
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        TypeOrmModule.forRoot(typeOrmOptions(resolved.databaseUrl)),
        ProcessManagerModule.forRoot(resolved.processManager),
        CommonModule,
        DownstreamModule,
        OrdersModule,
        DocumentsModule,
        GroupCheckoutModule,
        NotificationsModule,
        ProcessesModule,
        HealthModule,
        TelemetryModule.forRoot(options.telemetry),
        SampleDashboardModule.forRoot(resolved),
      ],
    };
  }
}
