import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { metrics, trace } from '@opentelemetry/api';
import { ProcessManagerService, withMetadata } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { createTestApp, dataSourceOf } from '../support/test-app.js';
import { MemberJoined, MEMBERSHIP_PROVIDERS } from '../retention/membership.js';

const INCOMING = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('telemetry without an SDK (PostgreSQL)', () => {
  const db = useTestDatabase();
  const open: INestApplicationContext[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });

  it('records nothing and passes an incoming traceparent on to what the step sends', async () => {
    trace.disable();
    metrics.disable();
    const app = await createTestApp({
      providers: MEMBERSHIP_PROVIDERS,
      url: db.url,
      clock: new VirtualClock(),
    });
    open.push(app);
    const member = uniqueKey('member');
    const event = withMetadata(new MemberJoined(member), {
      messageId: uniqueKey('msg'),
      occurredAt: new Date(),
      traceparent: INCOMING,
    });
    await app.get(ProcessManagerService).deliver(event);
    await app.get(ProcessRunner).whenIdle();

    const rows: { type: string; traceparent: string | null }[] = await dataSourceOf(app).query(
      `SELECT type, metadata->>'traceparent' AS traceparent FROM pm_outbox ORDER BY type`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.traceparent === INCOMING)).toBe(true);
  });
});
