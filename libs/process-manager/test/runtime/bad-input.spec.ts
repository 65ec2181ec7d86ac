import { describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { EventBus, UnhandledExceptionBus, type UnhandledExceptionInfo } from '@nestjs/cqrs';
import {
  CorrelationFailedError,
  MissingCorrelationValueError,
  ProcessManagerService,
  StateNotSerializableError,
} from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { ParcelProcess, ParcelScanned, ParcelWeighed } from '../support/fixtures/parcels.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { countRows } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

/** What a step writes. Dead-lettering may add its own ProcessDeadLettered notice: that is not the step. */
const STEP_ROWS: [table: string, where: string][] = [
  ['pm_process', 'true'],
  ['pm_history', 'true'],
  ['pm_inbox', 'true'],
  ['pm_outbox', `type <> 'ProcessManager.ProcessDeadLettered'`],
];

describe('bad input (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  async function start() {
    // One attempt: a handler failure is dead-lettered (and reported) at once instead of retried later.
    const app = await createApp({
      url: db.url,
      providers: [ParcelProcess],
      options: { retry: { maxAttempts: 1 } },
    });
    const errors: UnhandledExceptionInfo<unknown>[] = [];
    app.get<UnhandledExceptionBus<unknown>>(UnhandledExceptionBus).subscribe((info) => errors.push(info));
    return { app, errors, bus: app.get(EventBus) };
  }

  const rowCounts = (app: INestApplicationContext) =>
    Promise.all(STEP_ROWS.map(([table, where]) => countRows(app, table, where)));

  it.each([
    [
      'a correlate function that throws',
      new ParcelScanned('p-1', 'unreadable'),
      CorrelationFailedError,
      /"parcel".*ParcelScanned.*barcode is unreadable/,
    ],
    [
      'a correlate function that returns undefined',
      new ParcelScanned(undefined),
      MissingCorrelationValueError,
      /ParcelScanned has no value for correlate\(\).*"parcel"/,
    ],
    [
      'an event without its correlationKey property',
      new ParcelWeighed(undefined, 500),
      MissingCorrelationValueError,
      /ParcelWeighed has no value for parcelId.*"parcel"/,
    ],
  ])('reports %s as a named error and writes nothing', async (_case, event, errorType, message) => {
    const { app, errors, bus } = await start();
    const before = await rowCounts(app);
    bus.publish(event);
    const [reported] = await waitFor(() => errors.length > 0 && errors, 'an unhandled exception');

    expect(reported!.exception).toBeInstanceOf(errorType);
    expect((reported!.exception as Error).message).toMatch(message);
    expect(reported!.cause).toBe(event);
    expect(await rowCounts(app)).toEqual(before);
  });

  it('reports state that is not JSON-serialisable and keeps the previous version', async () => {
    const { app, errors, bus } = await start();
    const processes = app.get(ProcessManagerService);
    const parcelId = uniqueKey('parcel');
    bus.publish(new ParcelScanned(parcelId));
    const instance = await waitFor(() => processes.find('parcel', parcelId), 'the parcel');
    const before = await rowCounts(app);
    const messageId = uniqueKey('weighed');
    bus.publish(withMessageId(new ParcelWeighed(parcelId, 500), messageId));
    const [reported] = await waitFor(() => errors.length > 0 && errors, 'an unhandled exception');

    expect(reported!.exception).toBeInstanceOf(StateNotSerializableError);
    expect((reported!.exception as Error).message).toContain(`"parcel" ${instance.id}`);
    expect(await processes.get(instance.id)).toMatchObject({ version: 1, state: { scans: 1 } });
    expect(await rowCounts(app)).toEqual(before);
    expect(await countRows(app, 'pm_inbox', 'message_id = $1', [messageId])).toBe(0);
  });
});
