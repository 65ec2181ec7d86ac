import { Controller, Get, Inject, NotFoundException, Optional, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SampleTelemetry } from './sample-telemetry.js';

@Controller('metrics')
export class MetricsController {
  constructor(@Optional() @Inject(SampleTelemetry) private readonly telemetry?: SampleTelemetry) {}

  /** The process manager's metrics (`pm_*`) in Prometheus text format, for a Prometheus scrape. */
  @Get()
  metrics(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    if (!this.telemetry)
      throw new NotFoundException('Telemetry is off: start the sample with its SDK (main.ts)');
    this.telemetry.prometheus.getMetricsRequestHandler(request, response);
  }
}
