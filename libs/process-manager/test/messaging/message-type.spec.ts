import { describe, expect, it } from '@jest/globals';
import { CommandHandler } from '@nestjs/cqrs';
import { DuplicateMessageTypeError, MessageType, OnEvent, ProcessManager } from 'nestjs-process-manager';
import { createTestApp } from '../support/test-app.js';

describe('message type names', () => {
  it('rejects a second class claiming a @MessageType() name', () => {
    @MessageType('billing.refund-requested')
    class RefundRequested {}
    expect(RefundRequested.name).toBe('RefundRequested');
    expect(() => {
      @MessageType('billing.refund-requested')
      class RefundAsked {}
      return RefundAsked;
    }).toThrow(DuplicateMessageTypeError);
    expect(() => MessageType('billing.refund-requested')(class RefundWanted {})).toThrow(
      /"billing\.refund-requested" is used by RefundRequested and RefundWanted/,
    );
  });

  it('rejects, at boot, an event and a command class that share a wire name', async () => {
    const RefundEvent = class Refund {
      constructor(readonly orderId: string) {}
    };
    const RefundCommand = class Refund {
      constructor(readonly orderId: string) {}
    };
    @ProcessManager({ name: 'refunds', correlationKey: 'orderId' })
    class RefundProcess {
      @OnEvent(RefundEvent, { start: true })
      onRefund() {}
    }
    @CommandHandler(RefundCommand)
    class RefundHandler {
      async execute() {}
    }

    const booted = createTestApp({ store: 'memory', providers: [RefundProcess, RefundHandler] });
    await expect(booted).rejects.toThrow(DuplicateMessageTypeError);
    await expect(booted).rejects.toThrow(/"Refund" is used by Refund and Refund/);
  });

  it('lets @MessageType() tell two classes of one name apart', async () => {
    @MessageType('refund.event')
    class Refund {
      constructor(readonly orderId: string) {}
    }
    const RefundCommand = class Refund {
      constructor(readonly orderId: string) {}
    };
    @ProcessManager({ name: 'refunds', correlationKey: 'orderId' })
    class RefundProcess {
      @OnEvent(Refund, { start: true })
      onRefund() {}
    }
    @CommandHandler(RefundCommand)
    class RefundHandler {
      async execute() {}
    }
    const app = await createTestApp({ store: 'memory', providers: [RefundProcess, RefundHandler] });
    await app.close();
  });
});
