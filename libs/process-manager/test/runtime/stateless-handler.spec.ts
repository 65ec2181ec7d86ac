import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { getMetadata, ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { OrderPlaced } from '../support/fixtures/orders.js';
import { RECEIPT_PROVIDERS, ReceiptRequested, SendReceipt } from '../support/fixtures/receipts.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { STORES, uniqueKey, withMessageId } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe.each(STORES)('stateless @OnEvent (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('sends a returned command to its CommandHandler and a returned event to the EventBus', async () => {
    const app = await createApp({ store, url: db.url, providers: RECEIPT_PROVIDERS });
    const recorder = app.get(Recorder);
    const orderId = uniqueKey('order');
    const placed = withMessageId(new OrderPlaced(orderId, 42), uniqueKey('msg'));
    app.get(EventBus).publish(placed);
    await waitFor(() => recorder.commandsOf(SendReceipt).length === 1, 'SendReceipt handled');
    await waitFor(() => recorder.eventsOf(ReceiptRequested).length === 1, 'ReceiptRequested handled');

    const cause = getMetadata(placed)!.messageId;
    expect(recorder.commandsOf(SendReceipt)).toEqual([new SendReceipt(orderId)]);
    expect(recorder.commands[0]!.metadata).toMatchObject({
      causationId: cause,
      messageId: expect.any(String),
    });
    const event = recorder.eventsOf(ReceiptRequested)[0]!;
    expect(event).toEqual(new ReceiptRequested(orderId));
    expect(getMetadata(event)?.causationId).toBe(cause);
    expect(getMetadata(event)?.messageId).not.toBe(recorder.commands[0]!.metadata?.messageId);
    expect((await app.get(ProcessManagerService).list()).items).toEqual([]);
  });
});
