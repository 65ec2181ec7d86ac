import type { SagaProgram } from './saga-program.js';
import { SagaRun } from './saga-run.js';
import type { SagaContext } from './saga-state.js';
import { type SagaOptions, SagaSteps } from './saga-steps.js';

/**
 * Base class of an orchestrated saga: a `@ProcessManager()` whose work is an ordered list of named
 * steps, each sending a command and awaiting its reply, undone in reverse order when one fails for good.
 * It compiles onto the process engine: same tables, timers, outbox and guarantees as any process manager.
 *
 * ```ts
 * @ProcessManager({ name: 'order-fulfilment', correlationKey: 'orderId' })
 * export class OrderFulfilment extends OrchestratedSaga<OrderData> {
 *   @OnEvent(OrderPlaced, { start: true })
 *   placed(event: OrderPlaced, ctx: SagaContext<OrderData>) {
 *     this.begin(ctx, { orderId: event.orderId, total: event.total });
 *   }
 *
 *   protected readonly steps = this.define({ cancelOn: OrderCancelled })
 *     .step('reserve', { send: (d) => new ReserveInventory(d.orderId), onSuccess: InventoryReserved,
 *       onFailure: InventoryUnavailable, compensate: (d) => new ReleaseInventory(d.orderId) })
 *     .step('charge', { send: (d) => new ChargePayment(d.orderId, d.total), onSuccess: PaymentCharged });
 * }
 * ```
 */
export abstract class OrchestratedSaga<D extends object> {
  /** The steps, in order: `this.define().step(…)`. Read once, at boot. */
  protected abstract readonly steps: SagaSteps<D>;

  /**
   * Starts the step list of `steps`.
   * @param options `cancelOn`: event(s) that cancel the saga
   */
  protected define(options: SagaOptions = {}): SagaSteps<D> {
    return SagaSteps.create<D>(this.constructor.name, options);
  }

  /**
   * Sets the saga's data and sends the first step's command; call it from the start handler.
   * @param ctx the context the handler received
   * @param data what the steps' commands are built from (JSON-serialisable)
   * @param options `itinerary`: the declared steps this instance runs, in that order (a routing slip);
   *   by default every step, as defined
   */
  protected begin(ctx: SagaContext<D>, data: D, options: { itinerary?: readonly string[] } = {}): void {
    const run = new SagaRun(sagaProgram(this), ctx);
    run.begin(data, options.itinerary);
    run.flush();
  }

  /** Called when the last step completed, just before the instance completes: publish a result here. */
  protected onCompleted(_ctx: SagaContext<D>): void {}

  /**
   * Called when every completed step has been compensated, just before the instance ends `failed`
   * (or `cancelled`, see `ctx.state.cancellation`).
   */
  protected onCompensated(_ctx: SagaContext<D>): void {}
}

const programs = new WeakMap<object, SagaProgram<object>>();

/** The compiled steps and hooks of a saga provider (built on first use, then kept). */
export function sagaProgram<D extends object>(saga: OrchestratedSaga<D>): SagaProgram<D> {
  let program = programs.get(saga) as SagaProgram<D> | undefined;
  if (!program) {
    // Bracket access: these members are protected from the user's subclasses' callers, not from the library.
    const steps = saga['steps'];
    program = {
      className: saga.constructor.name,
      steps: steps.list,
      cancelOn: steps.cancelOn,
      parallelCompensation: steps.options.parallelCompensation === true,
      continueOnCompensationFailure: steps.options.continueOnCompensationFailure === true,
      routingSlip: steps.options.routingSlip === true,
      onCompleted: (ctx) => saga['onCompleted'](ctx),
      onCompensated: (ctx) => saga['onCompensated'](ctx),
    };
    programs.set(saga, program as SagaProgram<object>);
  }
  return program;
}
