import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { SampleTelemetry } from './sample-telemetry.js';

@Module({})
export class TelemetryModule {
  /** `GET /metrics` from `telemetry`; without it the route answers 404. */
  static forRoot(telemetry: SampleTelemetry | undefined): DynamicModule {
    return {
      module: TelemetryModule,
      controllers: [MetricsController],
      providers: telemetry ? [{ provide: SampleTelemetry, useValue: telemetry }] : [],
    };
  }
}
