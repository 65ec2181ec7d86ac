import { describe, expect, it } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import {
  InvalidSagaDefinitionError,
  OnEvent,
  OrchestratedSaga,
  ProcessManager,
  type SagaContext,
  SagaNotBegunError,
  SagaOutsideEngineError,
} from 'nestjs-process-manager';
import { SagaSteps } from '../../src/saga/saga-steps.js';
import { createTestApp } from '../support/test-app.js';
import { compiledSaga } from './fixtures/compiled-saga.js';
import {
  OrderCancelled,
  OrderPlaced,
  OrderRejected,
  OrderValidated,
  ValidateOrder,
} from './fixtures/order-messages.js';

interface Data {
  orderId: string;
}

const validate = { send: (d: Data) => new ValidateOrder(d.orderId), onSuccess: OrderValidated };

function steps() {
  return SagaSteps.create<Data>('OrderFulfilment');
}

/** Boots the smallest app with `providers`; resolves to the boot error. */
async function bootError(...providers: Provider[]): Promise<Error> {
  const app = await createTestApp({ store: 'memory', providers }).catch((error: Error) => error);
  if (!(app instanceof Error)) {
    await app.close();
    throw new Error('expected the app to fail at boot');
  }
  return app;
}

describe('saga step definitions', () => {
  it.each([
    [
      'a step name used twice',
      () => steps().step('validate', validate).step('validate', validate),
      "Saga OrderFulfilment: step 'validate' is defined twice: give each step a unique name",
    ],
    [
      'a step named like an end state',
      () => steps().step('completed', validate),
      "Saga OrderFulfilment: step 'completed' needs another name: completed, compensating, compensated, cancelled, compensation_failed name the end of a saga",
    ],
    [
      'a step without success reply',
      () => steps().step('validate', { ...validate, onSuccess: [] }),
      "Saga OrderFulfilment: step 'validate' needs onSuccess: the reply event(s) meaning it succeeded",
    ],
    [
      'one reply meaning success and failure',
      () => steps().step('validate', { ...validate, onFailure: [OrderRejected, OrderValidated] }),
      "Saga OrderFulfilment: step 'validate' lists OrderValidated as both success and failure",
    ],
    [
      'a retry that nothing could trigger',
      () => steps().step('validate', { ...validate, retry: { attempts: 3, delay: '1s' } }),
      "Saga OrderFulfilment: step 'validate' has retry but neither onFailure nor timeout, so it could never be retried",
    ],
    [
      'a retry of zero attempts',
      () => steps().step('validate', { ...validate, timeout: '5s', retry: { attempts: 0, delay: '1s' } }),
      "Saga OrderFulfilment: step 'validate' retry.attempts must be a whole number of sends, 1 or more (got 0)",
    ],
    [
      'a bad duration',
      () => steps().step('validate', { ...validate, timeout: '30 seconds' }),
      `Saga OrderFulfilment: step 'validate' timeout: Invalid duration "30 seconds": use milliseconds or '250ms', '30s', '15m', '2h', '7d'.`,
    ],
    [
      'compensation options without ack',
      () =>
        steps().step('validate', {
          ...validate,
          compensate: { send: (d) => new ValidateOrder(d.orderId), timeout: '1m' },
        }),
      "Saga OrderFulfilment: step 'validate' compensation needs ack: onFailure, timeout and retry only apply while an ack is awaited",
    ],
    [
      'compensateFailed without a compensation',
      () => steps().step('validate', { ...validate, compensateFailed: 'always' }),
      "Saga OrderFulfilment: step 'validate' has compensateFailed but no compensate: say how to undo it",
    ],
    [
      'parallel compensations sharing an ack',
      () =>
        SagaSteps.create<Data>('OrderFulfilment', { parallelCompensation: true })
          .step('validate', {
            ...validate,
            compensate: { send: (d) => new ValidateOrder(d.orderId), ack: OrderRejected },
          })
          .step('again', {
            ...validate,
            compensate: { send: (d) => new ValidateOrder(d.orderId), ack: OrderRejected },
          }),
      "Saga OrderFulfilment: step 'again' compensation shares OrderRejected with another step: with parallelCompensation each compensation needs replies of its own",
    ],
  ])('rejects %s', (_case, define, message) => {
    expect(define).toThrow(InvalidSagaDefinitionError);
    expect(define).toThrow(message);
  });

  it('keeps a builder immutable, so a shared prefix can be reused', () => {
    const base = steps().step('validate', validate);
    const longer = base.step('again', validate);
    expect(base.list.map(({ name }) => name)).toEqual(['validate']);
    expect(longer.list.map(({ name }) => name)).toEqual(['validate', 'again']);
  });
});

describe('saga classes at boot', () => {
  it('needs a correlationKey for the replies', async () => {
    @ProcessManager({ name: 'uncorrelated-saga' })
    class UncorrelatedSaga extends OrchestratedSaga<Data> {
      @OnEvent(OrderPlaced, { start: true, correlate: 'orderId' })
      placed(event: OrderPlaced, ctx: SagaContext<Data>) {
        this.begin(ctx, { orderId: event.orderId });
      }
      protected readonly steps = this.define().step('validate', validate);
    }
    const error = await bootError(UncorrelatedSaga);
    expect(error).toBeInstanceOf(InvalidSagaDefinitionError);
    expect(error.message).toBe(
      'Saga UncorrelatedSaga: set correlationKey in @ProcessManager(): replies are routed to instances by it',
    );
  });

  it('rejects a reply that also has an @OnEvent() handler', async () => {
    @ProcessManager({ name: 'double-handled', correlationKey: 'orderId' })
    class DoubleHandled extends OrchestratedSaga<Data> {
      @OnEvent(OrderPlaced, { start: true })
      placed(event: OrderPlaced, ctx: SagaContext<Data>) {
        this.begin(ctx, { orderId: event.orderId });
      }
      @OnEvent(OrderValidated)
      validated() {}
      protected readonly steps = this.define().step('validate', validate);
    }
    const error = await bootError(DoubleHandled);
    expect(error.message).toBe(
      'Saga DoubleHandled: OrderValidated is a step reply and also has an @OnEvent() handler; keep one',
    );
  });

  it('rejects a cancel event that also answers a step', async () => {
    @ProcessManager({ name: 'ambiguous-cancel', correlationKey: 'orderId' })
    class AmbiguousCancel extends OrchestratedSaga<Data> {
      @OnEvent(OrderPlaced, { start: true })
      placed(event: OrderPlaced, ctx: SagaContext<Data>) {
        this.begin(ctx, { orderId: event.orderId });
      }
      protected readonly steps = this.define({ cancelOn: OrderRejected }).step('validate', {
        ...validate,
        onFailure: OrderRejected,
      });
    }
    const error = await bootError(AmbiguousCancel);
    expect(error.message).toBe(
      'Saga AmbiguousCancel: OrderRejected cannot both cancel the saga and answer a step',
    );
  });

  it('rejects a saga without steps', async () => {
    @ProcessManager({ name: 'stepless', correlationKey: 'orderId' })
    class Stepless extends OrchestratedSaga<Data> {
      @OnEvent(OrderPlaced, { start: true })
      placed(event: OrderPlaced, ctx: SagaContext<Data>) {
        this.begin(ctx, { orderId: event.orderId });
      }
      protected readonly steps = this.define({ cancelOn: OrderCancelled });
    }
    const error = await bootError(Stepless);
    expect(error.message).toBe('Saga Stepless: has no steps: define them with this.define().step(…)');
  });

  it('rejects a saga class that is not a @ProcessManager()', async () => {
    class Undecorated extends OrchestratedSaga<Data> {
      @OnEvent(OrderPlaced, { start: true })
      placed(event: OrderPlaced, ctx: SagaContext<Data>) {
        this.begin(ctx, { orderId: event.orderId });
      }
      protected readonly steps = this.define().step('validate', validate);
    }
    const error = await bootError(Undecorated);
    expect(error.message).toBe('Saga Undecorated: decorate it with @ProcessManager({ correlationKey })');
  });
});

describe('saga handlers', () => {
  @ProcessManager({ name: 'forgetful', correlationKey: 'orderId' })
  class Forgetful extends OrchestratedSaga<Data> {
    @OnEvent(OrderPlaced, { start: true })
    placed() {}
    protected readonly steps = this.define().step('validate', validate);

    /** What a unit test without the engine would do. */
    beginOutsideTheEngine() {
      this.begin({ state: {} } as SagaContext<Data>, { orderId: 'o-1' });
    }
  }

  it('fails the delivery of a start event whose handler does not begin the saga', async () => {
    const saga = await compiledSaga('forgetful', [Forgetful]);
    const delivery = saga.deliver(new OrderPlaced('o-1', 100));
    await expect(delivery).rejects.toBeInstanceOf(SagaNotBegunError);
    await expect(delivery).rejects.toThrow(
      '"forgetful" placed() started an instance but did not call this.begin(ctx, data)',
    );
  });

  it('says so when begin() gets a context the engine did not create', () => {
    expect(() => new Forgetful().beginOutsideTheEngine()).toThrow(SagaOutsideEngineError);
  });
});
