import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PROCESS_MANAGER_MIGRATIONS, ProcessManagerModule } from 'nestjs-process-manager';
import { HandledCommands, PrintLabelHandler, SendCourierHandler } from './parcel.handlers.js';
import { ParcelProcess } from './parcel.process.js';

@Module({})
export class AppModule {
  static forDatabase(url: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'postgres',
          url,
          autoLoadEntities: true,
          migrations: PROCESS_MANAGER_MIGRATIONS,
          migrationsRun: true,
        }),
        ProcessManagerModule.forRoot({ timers: { pollIntervalMs: 50 } }),
      ],
      providers: [ParcelProcess, HandledCommands, PrintLabelHandler, SendCourierHandler],
    };
  }
}
