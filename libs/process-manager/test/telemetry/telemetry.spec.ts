import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Outbox, type ProcessManagerModuleOptions, ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import pg from 'pg';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { OutboxRelay, TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { createTestApp, dataSourceOf } from '../support/test-app.js';
import {
  Mailbox,
  MemberBanned,
  MemberJoined,
  MemberNoted,
  MEMBERSHIP_PROVIDERS,
  ReminderWanted,
  SendWelcome,
} from '../retention/membership.js';
import { installSdk, valueOf } from './telemetry-support.js';

describe('telemetry: spans and metrics of DESIGN §3.2 (PostgreSQL, OpenTelemetry SDK)', () => {
  const db = useTestDatabase();
  // Installed after the library was imported (above), before any app boots: the library must take its
  // tracer and meter late to see it.
  let sdk: ReturnType<typeof installSdk>;
  const open: INestApplicationContext[] = [];
  beforeAll(() => {
    sdk = installSdk();
  });
  afterAll(() => sdk.stop());
  beforeEach(async () => {
    sdk.reset();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'pm\\_%'`,
      );
      if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((row) => row.name).join(', ')}`);
    } finally {
      await client.end();
    }
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });

  async function boot(clock = new VirtualClock(), options: ProcessManagerModuleOptions = {}) {
    const app = await createTestApp({ providers: MEMBERSHIP_PROVIDERS, url: db.url, clock, options });
    open.push(app);
    const deliver = async (event: object) => {
      await app.get(ProcessManagerService).deliver(event);
      await app.get(ProcessRunner).whenIdle();
    };
    return { app, clock, deliver };
  }

  /** Runs `work` inside a span of the app's own (an HTTP request, say); resolves to its trace id. */
  async function inRequest(work: () => Promise<void>): Promise<string> {
    const span = trace.getTracer('test').startSpan('request');
    await context.with(trace.setSpan(context.active(), span), work);
    span.end();
    return span.spanContext().traceId;
  }

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const stepFor = (messageType: string) =>
    sdk.spans('pm.step').filter((span) => span.attributes['pm.message.type'] === messageType);

  it('traces a delivery as a pm.step span in the caller’s trace, its commands as pm.dispatch spans under it', async () => {
    const { app, deliver } = await boot();
    const member = uniqueKey('member');
    const traceId = await inRequest(() => deliver(new MemberJoined(member)));

    const [step] = stepFor('MemberJoined');
    const instance = await app.get(ProcessManagerService).find('membership', member);
    expect(step).toBeDefined();
    expect(step!.spanContext().traceId).toBe(traceId);
    expect(step!.attributes).toMatchObject({
      'pm.process.type': 'membership',
      'pm.process.id': instance!.id,
      'pm.correlation_key': member,
      'pm.message.type': 'MemberJoined',
      'pm.outcome': 'committed',
      'pm.conflict_retries': 0,
    });
    const welcome = sdk
      .spans('pm.dispatch')
      .find((span) => span.attributes['pm.message.type'] === 'SendWelcome');
    expect(welcome?.spanContext().traceId).toBe(traceId);
    expect(parentOf(welcome!)).toBe(step!.spanContext().spanId);
    expect(welcome!.attributes).toMatchObject({
      'pm.message.kind': 'command',
      'pm.process.id': instance!.id,
    });
  });

  it('records a failing step on its span and stores its traceparent with the dead letter', async () => {
    const { app, deliver } = await boot(new VirtualClock(), { retry: { maxAttempts: 1 } });
    const member = uniqueKey('member');
    await deliver(new MemberJoined(member));
    app.get(Mailbox).failNotes = true;
    const traceId = await inRequest(() => deliver(new MemberNoted(member, 'lost')));

    const [step] = stepFor('MemberNoted');
    expect(step!.status.code).toBe(SpanStatusCode.ERROR);
    expect(step!.attributes['pm.outcome']).toBe('failed');
    expect(step!.events.map((event) => event.name)).toContain('exception');
    expect(JSON.stringify(step!.events[0]!.attributes)).toContain('notes are broken (lost)');
    const [deadLetter] = await app.get(ProcessManagerService).deadLetters();
    expect(deadLetter!.metadata.traceparent).toBe(`00-${traceId}-${step!.spanContext().spanId}-01`);
  });

  it('continues the trace of the step that scheduled a timer when the poller fires it', async () => {
    const { app, clock, deliver } = await boot();
    const member = uniqueKey('member');
    await deliver(new MemberJoined(member));
    const traceId = await inRequest(() => deliver(new ReminderWanted(member, '3d')));
    const [scheduling] = stepFor('ReminderWanted');
    sdk.reset();

    clock.advance('3d');
    await app.get(TimerPoller).tickOnce(); // outside any span: the trace comes from the timer row
    await app.get(ProcessRunner).whenIdle();

    const [fire] = sdk.spans('pm.timer.fire');
    const [remind] = stepFor('RemindMember');
    expect(fire?.spanContext().traceId).toBe(traceId);
    expect(parentOf(fire!)).toBe(scheduling!.spanContext().spanId);
    expect(remind?.spanContext().traceId).toBe(traceId);
    expect(parentOf(remind!)).toBe(fire!.spanContext().spanId);
    expect(remind!.attributes['pm.outcome']).toBe('committed');
  });

  it('continues the trace of a failed step when the poller retries it', async () => {
    const { app, clock, deliver } = await boot(new VirtualClock(), { retry: { maxAttempts: 3 } });
    const member = uniqueKey('member');
    await deliver(new MemberJoined(member));
    app.get(Mailbox).failNotes = true;
    const traceId = await inRequest(() => deliver(new MemberNoted(member, 'later')));
    const [failed] = stepFor('MemberNoted');
    sdk.reset();

    app.get(Mailbox).failNotes = false;
    clock.advance('10m');
    await app.get(TimerPoller).tickOnce(); // outside any span: the trace comes from the retry's metadata
    await app.get(ProcessRunner).whenIdle();

    const [retried] = stepFor('MemberNoted');
    expect(retried?.spanContext().traceId).toBe(traceId);
    expect(parentOf(retried!)).toBe(failed!.spanContext().spanId);
    expect(retried!.attributes['pm.outcome']).toBe('committed');
  });

  it('continues the trace when the relay re-sends a message whose first dispatch failed', async () => {
    const { app, clock, deliver } = await boot();
    app.get(Mailbox).failWelcomes = true;
    const member = uniqueKey('member');
    const traceId = await inRequest(() => deliver(new MemberJoined(member)));
    const [step] = stepFor('MemberJoined');
    const [failed] = sdk
      .spans('pm.dispatch')
      .filter((span) => span.attributes['pm.message.type'] === 'SendWelcome');
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect((await sdk.points('pm.dispatch.failures')).map((point) => point.value)).toEqual([1]);
    sdk.reset();

    app.get(Mailbox).failWelcomes = false;
    clock.advance('10m');
    await app.get(OutboxRelay).tickOnce(); // outside any span: the trace comes from the row's metadata

    const [relay] = sdk.spans('pm.relay');
    const [resent] = sdk
      .spans('pm.dispatch')
      .filter((span) => span.attributes['pm.message.type'] === 'SendWelcome');
    expect(relay).toBeDefined();
    expect(resent?.spanContext().traceId).toBe(traceId);
    expect(parentOf(resent!)).toBe(step!.spanContext().spanId);
    expect(resent!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(app.get(Mailbox).welcomes).toEqual([member]);
  });

  it('stamps messages the app writes with Outbox.send() with the active trace context', async () => {
    const { app } = await boot();
    const member = uniqueKey('member');
    const traceId = await inRequest(() =>
      dataSourceOf(app).transaction((manager) => app.get(Outbox).send(manager, new SendWelcome(member))),
    );

    const rows: { traceparent: string | null }[] = await dataSourceOf(app).query(
      `SELECT metadata->>'traceparent' AS traceparent FROM pm_outbox WHERE type = 'SendWelcome'`,
    );
    expect(rows.map((row) => row.traceparent)).toEqual([
      expect.stringMatching(`^00-${traceId}-[0-9a-f]{16}-01$`),
    ]);
  });

  it('counts deliveries, retries, dead letters and step durations; gauges instances, outbox, timers, dead letters', async () => {
    const { app, clock, deliver } = await boot(new VirtualClock(), { retry: { maxAttempts: 2 } });
    const [ann, bob, cy] = [uniqueKey('ann'), uniqueKey('bob'), uniqueKey('cy')];
    await deliver(new MemberJoined(ann));
    await deliver(new MemberJoined(bob));
    await deliver(new MemberBanned(bob));
    await deliver(new ReminderWanted(ann, '1m'));
    app.get(Mailbox).failNotes = true;
    await deliver(new MemberNoted(ann, 'lost')); // a retry, dead at the second attempt
    app.get(Mailbox).failWelcomes = true; // cy's welcome stays in the outbox
    await deliver(new MemberJoined(cy));
    clock.advance('5m');

    const membership = { type: 'membership' };
    const deliveries = await sdk.points('pm.deliveries');
    expect(valueOf(deliveries, { ...membership, message: 'MemberJoined', outcome: 'committed' })).toBe(3);
    expect(valueOf(deliveries, { ...membership, message: 'MemberNoted', outcome: 'failed' })).toBe(1);
    const durations = await sdk.points('pm.step.duration');
    expect(valueOf(durations, { ...membership, message: 'MemberJoined' })).toMatchObject({ count: 3 });
    expect(valueOf(await sdk.points('pm.retries'), { ...membership, message: 'MemberNoted' })).toBe(1);
    expect(valueOf(await sdk.points('pm.dispatch.failures'), { message: 'SendWelcome' })).toBe(1);
    const instances = await sdk.points('pm.instances');
    expect(valueOf(instances, { ...membership, status: 'running' })).toBe(2);
    expect(valueOf(instances, { ...membership, status: 'failed' })).toBe(1);
    expect(valueOf(await sdk.points('pm.outbox.pending'))).toBe(1);
    expect(valueOf(await sdk.points('pm.outbox.lag'))).toBe(300);
    expect(valueOf(await sdk.points('pm.timers.lag'))).toBe(240);
    expect(valueOf(await sdk.points('pm.dead_letters.open'))).toBe(0);
    expect(valueOf(await sdk.points('pm.stuck'))).toBe(0);

    await app.get(TimerPoller).tickOnce(); // fires the reminder; the note fails again: dead
    await app.get(ProcessRunner).whenIdle();
    expect(valueOf(await sdk.points('pm.dead_letters'), { ...membership, message: 'MemberNoted' })).toBe(1);
    expect(valueOf(await sdk.points('pm.dead_letters.open'))).toBe(1);
    expect(valueOf(await sdk.points('pm.timers.lag'))).toBe(0);
    expect(valueOf(await sdk.points('pm.outbox.lag'))).toBe(300);

    app.get(Mailbox).failWelcomes = false;
    await app.get(OutboxRelay).tickOnce();
    expect(valueOf(await sdk.points('pm.outbox.pending'))).toBe(0);
    expect(valueOf(await sdk.points('pm.outbox.lag'))).toBe(0);
  });
});
