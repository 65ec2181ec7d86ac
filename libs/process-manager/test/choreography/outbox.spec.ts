import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { getMetadata, Outbox } from 'nestjs-process-manager';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestApp, dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

class ReserveStock {
  constructor(readonly sku: string) {}
}

@Injectable()
class StockLog {
  readonly reserved: ReserveStock[] = [];
}

@CommandHandler(ReserveStock)
class ReserveStockHandler implements ICommandHandler<ReserveStock> {
  constructor(private readonly log: StockLog) {}
  async execute(command: ReserveStock) {
    this.log.reserved.push(command);
  }
}

describe('Outbox (the app’s own transactions)', () => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof createTestApp>>;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  afterEach(async () => {
    await app.close();
  });

  const boot = () => createTestApp({ url: db.url, providers: [StockLog, ReserveStockHandler] });
  const rows = (sku: string) =>
    dataSourceOf(app).query<{ dispatched_at: Date | null }[]>(
      `SELECT dispatched_at FROM pm_outbox WHERE payload->>'sku' = $1`,
      [sku],
    );

  it('dispatches only after the caller’s transaction commits', async () => {
    app = await boot();
    const log = app.get(StockLog);
    await dataSourceOf(app).transaction(async (manager) => {
      await app.get(Outbox).send(manager, new ReserveStock('sku-1'));
      expect(log.reserved).toHaveLength(0);
      expect(await rows('sku-1')).toHaveLength(0); // not visible outside the transaction yet
    });
    await waitFor(() => log.reserved.length === 1, 'the command after commit');
    expect(getMetadata(log.reserved[0]!)?.messageId).toEqual(expect.any(String));
    await waitFor(async () => (await rows('sku-1'))[0]?.dispatched_at, 'the row marked dispatched');
  });

  it('writes and sends nothing when the transaction rolls back', async () => {
    app = await boot();
    await expect(
      dataSourceOf(app).transaction(async (manager) => {
        await app.get(Outbox).send(manager, new ReserveStock('sku-2'));
        throw new Error('business rule broken');
      }),
    ).rejects.toThrow('business rule broken');
    expect(await rows('sku-2')).toHaveLength(0);
    expect(app.get(StockLog).reserved).toHaveLength(0);
  });

  it('sends right away outside a transaction', async () => {
    app = await boot();
    await app.get(Outbox).send(dataSourceOf(app).manager, new ReserveStock('sku-3'));
    expect(app.get(StockLog).reserved.map((c) => c.sku)).toEqual(['sku-3']);
  });
});
