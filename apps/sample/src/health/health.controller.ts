import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ProcessManagerHealthIndicator } from 'nestjs-process-manager';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly processManager: ProcessManagerHealthIndicator,
  ) {}

  /**
   * 200 with `{ status: 'ok', info: { database: …, processManager: { status: 'up', outboxLagSeconds, … } } }`;
   * 503 when PostgreSQL is down, messages stop leaving the outbox or timers fire more than a minute late
   * (`problems` says which). Dead letters are shown, not judged: the demo makes some on purpose.
   */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2_000 }),
      () => this.processManager.isHealthy('processManager', { outboxLag: '60s', timerLag: '60s' }),
    ]);
  }
}
