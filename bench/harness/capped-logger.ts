import { ConsoleLogger } from '@nestjs/common';

/**
 * Prints the first few errors of an app and counts the rest, so a failing workload reports its
 * cause without flooding the benchmark's output.
 */
export class CappedLogger extends ConsoleLogger {
  errors = 0;

  constructor(private readonly limit = 3) {
    super('Bench', { logLevels: ['error'] });
  }

  override error(message: unknown, ...rest: unknown[]): void {
    this.errors++;
    if (this.errors <= this.limit) super.error(message, ...rest);
    else if (this.errors === this.limit + 1)
      super.error('… further errors of this app are counted, not printed');
  }
}
