import { ProcessManagerError } from '../errors/process-manager.error.js';

/** An orchestrated saga's step list cannot work as written; raised at boot. */
export class InvalidSagaDefinitionError extends ProcessManagerError {
  constructor(
    readonly className: string,
    readonly problem: string,
  ) {
    super(`Saga ${className}: ${problem}`);
  }
}

/** The start handler of a saga returned without calling `this.begin(ctx, data)`. */
export class SagaNotBegunError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly methodName: string,
  ) {
    super(
      `"${processName}" ${methodName}() started an instance but did not call this.begin(ctx, data), ` +
        `so the saga has no steps to run. Call it (or ctx.fail()) in every start handler.`,
    );
  }
}

/** A saga method was given a context the process engine did not create. */
export class SagaOutsideEngineError extends ProcessManagerError {
  constructor(readonly className: string) {
    super(
      `${className} runs only inside the process engine: pass it the ctx your @OnEvent() handler received ` +
        `(in unit tests, use the testing fixture from 'nestjs-process-manager/testing').`,
    );
  }
}

/**
 * `begin(ctx, data, { itinerary })` named a step the saga does not declare, or one step twice, or the
 * saga is not declared a routing slip.
 */
export class InvalidSagaItineraryError extends ProcessManagerError {
  constructor(
    readonly className: string,
    readonly itinerary: readonly unknown[],
    readonly problem: string,
  ) {
    super(`Saga ${className}: itinerary [${itinerary.join(', ')}] ${problem}`);
  }
}
