import { ProcessManagerError } from '../errors/process-manager.error.js';

/** `ProcessManagerHealthIndicator` builds its results with `@nestjs/terminus`, an optional peer. */
export class TerminusNotInstalledError extends ProcessManagerError {
  constructor(cause: unknown) {
    super(
      `ProcessManagerHealthIndicator could not load @nestjs/terminus ` +
        `(${cause instanceof Error ? cause.message : String(cause)}). Install it beside ` +
        `nestjs-process-manager (npm i @nestjs/terminus) and import TerminusModule in your health module.`,
      { cause },
    );
  }
}
