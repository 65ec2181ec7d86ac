import { describe, expect, it } from '@jest/globals';
import { Injectable, type Provider, Scope } from '@nestjs/common';
import {
  DuplicateProcessNameError,
  MissingCorrelationError,
  MissingStartHandlerError,
  OnEvent,
  ProcessManager,
  UnsupportedHandlerScopeError,
} from 'nestjs-process-manager';
import { OrderPlaced, OrderProcess, PaymentReceived } from '../support/fixtures/orders.js';
import { createTestApp } from '../support/test-app.js';

/** Boots the smallest app with `providers`; resolves to the boot error (the app never starts). */
async function bootError(...providers: Provider[]): Promise<Error> {
  const app = await createTestApp({ store: 'memory', providers }).catch((error: Error) => error);
  if (!(app instanceof Error)) {
    await app.close();
    throw new Error('expected the app to fail at boot');
  }
  return app;
}

describe('process definitions at boot', () => {
  it('rejects two process managers with one name', async () => {
    @ProcessManager({ name: 'order', correlationKey: 'orderId' })
    class LegacyOrderProcess {
      @OnEvent(OrderPlaced, { start: true })
      onPlaced() {}
    }
    const error = await bootError(OrderProcess, LegacyOrderProcess);
    expect(error).toBeInstanceOf(DuplicateProcessNameError);
    expect(error.message).toContain('"order"');
    expect(error.message).toMatch(/OrderProcess and LegacyOrderProcess|LegacyOrderProcess and OrderProcess/);
  });

  it('rejects a stateful handler with neither correlationKey nor correlate', async () => {
    @ProcessManager({ name: 'uncorrelated' })
    class Uncorrelated {
      @OnEvent(OrderPlaced, { start: true })
      onPlaced() {}
    }
    const error = await bootError(Uncorrelated);
    expect(error).toBeInstanceOf(MissingCorrelationError);
    expect(error.message).toContain('uncorrelated.onPlaced()');
  });

  it('accepts a handler that correlates itself when the process has no correlationKey', async () => {
    @ProcessManager({ name: 'self-correlated' })
    class SelfCorrelated {
      @OnEvent(OrderPlaced, { start: true, correlate: 'orderId' })
      onPlaced() {}
    }
    const app = await createTestApp({ store: 'memory', providers: [SelfCorrelated] });
    await app.close();
  });

  it('rejects a process manager without a start handler', async () => {
    @ProcessManager({ name: 'never-starts', correlationKey: 'orderId' })
    class NeverStarts {
      @OnEvent(PaymentReceived)
      onPaid() {}
    }
    const error = await bootError(NeverStarts);
    expect(error).toBeInstanceOf(MissingStartHandlerError);
    expect(error.message).toContain('"never-starts"');
  });

  it('rejects a process manager without any handler', async () => {
    @ProcessManager({ name: 'empty', correlationKey: 'orderId' })
    class EmptyProcess {}
    const error = await bootError(EmptyProcess);
    expect(error).toBeInstanceOf(MissingStartHandlerError);
    expect(error.message).toContain('"empty"');
  });

  it('rejects a request-scoped process manager', async () => {
    @Injectable({ scope: Scope.REQUEST })
    @ProcessManager({ name: 'per-request', correlationKey: 'orderId' })
    class PerRequestProcess {
      @OnEvent(OrderPlaced, { start: true })
      onPlaced() {}
    }
    const error = await bootError(PerRequestProcess);
    expect(error).toBeInstanceOf(UnsupportedHandlerScopeError);
    expect(error.message).toContain('PerRequestProcess');
  });

  it('rejects a transient process manager', async () => {
    @Injectable({ scope: Scope.TRANSIENT })
    @ProcessManager({ name: 'transient', correlationKey: 'orderId' })
    class TransientProcess {
      @OnEvent(OrderPlaced, { start: true })
      onPlaced() {}
    }
    const error = await bootError(TransientProcess);
    expect(error).toBeInstanceOf(UnsupportedHandlerScopeError);
    expect(error.message).toContain('TransientProcess');
  });

  it('rejects a handler class that depends on a request-scoped provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class RequestContext {}
    @Injectable()
    class Enricher {
      constructor(readonly context: RequestContext) {}
      @OnEvent(OrderPlaced)
      onPlaced() {}
    }
    const error = await bootError(RequestContext, Enricher);
    expect(error).toBeInstanceOf(UnsupportedHandlerScopeError);
    expect(error.message).toContain('Enricher');
  });
});
