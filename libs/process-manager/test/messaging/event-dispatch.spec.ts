import { describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { EventBus } from '@nestjs/cqrs';
import {
  OnEvent,
  Outbox,
  ProcessCompleted,
  type ProcessContext,
  ProcessManager,
  ProcessManagerService,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import type { Decision } from '../../src/engine/decision.js';
import { OutboxRelay } from '../../src/scheduling/index.js';
import { TypeOrmProcessStore } from '../../src/typeorm/typeorm-process.store.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { uniqueKey } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';
import { dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

class SendHandoff {
  constructor(readonly handoffId: string) {}
}
class FinishHandoff {
  constructor(readonly handoffId: string) {}
}
class ForwardHandoff {
  constructor(readonly handoffId: string) {}
}
/** The event under test: sent through the outbox, taken by `Receiver` (and `HandoffLog`). */
class HandedOff {
  constructor(readonly handoffId: string) {}
}

@ProcessManager({ name: 'sender', correlationKey: 'handoffId' })
class Sender {
  @OnEvent(SendHandoff, { start: true })
  send(event: SendHandoff, ctx: ProcessContext) {
    ctx.publish(new HandedOff(event.handoffId));
  }

  @OnEvent(FinishHandoff, { start: true })
  finish(_event: FinishHandoff, ctx: ProcessContext) {
    ctx.complete();
  }
}

interface ReceiverState {
  received: string[];
}

@ProcessManager({
  name: 'receiver',
  correlationKey: 'handoffId',
  initialState: (): ReceiverState => ({ received: [] }),
})
class Receiver {
  @OnEvent(HandedOff, { start: true })
  onHandedOff(_event: HandedOff, ctx: ProcessContext<ReceiverState>) {
    ctx.state.received.push('HandedOff');
  }

  @OnEvent(ProcessCompleted, { start: true, correlate: 'correlationKey' })
  onCompleted(event: ProcessCompleted, ctx: ProcessContext<ReceiverState>) {
    ctx.state.received.push(`${event.processType} completed`);
  }
}

/** A stateless reaction that sends the event on. */
@Injectable()
class Forwarder {
  @OnEvent(ForwardHandoff)
  forward(event: ForwardHandoff) {
    return new HandedOff(event.handoffId);
  }
}

/** A durable stateless reaction taking the event too: its inbox mark is one of the routes waited for. */
@Injectable()
class HandoffLog {
  readonly seen: string[] = [];

  @OnEvent(HandedOff)
  log(event: HandedOff) {
    this.seen.push(event.handoffId);
  }
}

const PROVIDERS = [Sender, Receiver, Forwarder, HandoffLog];
const RETRY = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 1_000, factor: 2 };

interface OutboxRow {
  id: string;
  dispatched_at: Date | null;
  attempts: number;
}

/** Each way an event enters the outbox, and what the receiver records when it took it. */
const INTAKES = [
  {
    intake: 'ctx.publish() of a step',
    type: 'HandedOff',
    received: ['HandedOff'],
    logged: true,
    send: (app: TestingModule, id: string) => app.get(EventBus).publish(new SendHandoff(id)),
  },
  {
    intake: 'a stateless reaction',
    type: 'HandedOff',
    received: ['HandedOff'],
    logged: true,
    send: (app: TestingModule, id: string) => app.get(EventBus).publish(new ForwardHandoff(id)),
  },
  {
    intake: 'the app’s Outbox.send()',
    type: 'HandedOff',
    received: ['HandedOff'],
    logged: true,
    send: (app: TestingModule, id: string) =>
      dataSourceOf(app).transaction((manager) => app.get(Outbox).send(manager, new HandedOff(id))),
  },
  {
    intake: 'a library lifecycle event (ProcessCompleted)',
    type: 'ProcessManager.ProcessCompleted',
    received: ['sender completed'],
    logged: false,
    send: (app: TestingModule, id: string) => app.get(EventBus).publish(new FinishHandoff(id)),
  },
];

describe('events dispatched through the outbox (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  const rowOf = async (app: TestingModule, type: string, id: string) =>
    (
      await query<OutboxRow>(
        app,
        `SELECT id, dispatched_at, attempts FROM pm_outbox WHERE type = $1 AND payload->>$2 = $3`,
        [type, type === 'HandedOff' ? 'handoffId' : 'correlationKey', id],
      )
    )[0];

  /** The receiving step and its failure record both fail once: as if the app died before either was written. */
  function crashReceiverOnce(): void {
    const commit = TypeOrmProcessStore.prototype.commit;
    let crashed = false;
    jest.spyOn(TypeOrmProcessStore.prototype, 'commit').mockImplementation(async function (
      this: TypeOrmProcessStore,
      decision: Decision,
    ) {
      if (decision.instance.type === 'receiver' && !crashed) {
        crashed = true;
        throw new Error('connection terminated (simulated crash)');
      }
      return commit.call(this, decision);
    });
    jest
      .spyOn(TypeOrmProcessStore.prototype, 'recordFailure')
      .mockRejectedValueOnce(new Error('connection terminated (simulated crash)'));
  }

  it.each(INTAKES)(
    'keeps an event from $intake undispatched until its receiver committed, and the relay re-delivers it once',
    async ({ type, received, logged, send }) => {
      const clock = new VirtualClock();
      const app = await apps.start({ providers: PROVIDERS, clock, options: { retry: RETRY } });
      const processes = app.get(ProcessManagerService);
      const handoffId = uniqueKey('handoff');
      crashReceiverOnce();

      await send(app, handoffId);
      const failed = await waitFor(async () => {
        const row = await rowOf(app, type, handoffId);
        return row?.attempts === 1 && row;
      }, 'the failed dispatch recorded on the row');
      expect(failed.dispatched_at).toBeNull();
      expect(await processes.find('receiver', handoffId)).toBeNull();
      expect(await countRows(app, 'pm_dead_letter')).toBe(0);

      jest.restoreAllMocks();
      clock.advance(RETRY.maxDelayMs);
      const relay = app.get(OutboxRelay);
      expect(await relay.tickOnce()).toBe(1);
      const instance = (await processes.find('receiver', handoffId))!;
      expect(instance.state).toEqual({ received });
      expect((await rowOf(app, type, handoffId))?.dispatched_at).not.toBeNull();

      // Re-sent again (a relay that crashed before marking): the receivers dedupe by messageId.
      await query(app, `UPDATE pm_outbox SET dispatched_at = NULL, available_at = $2 WHERE id = $1`, [
        failed.id,
        clock.now(),
      ]);
      expect(await relay.tickOnce()).toBe(1);
      expect(await processes.get(instance.id)).toMatchObject({
        version: instance.version,
        state: { received },
      });
      expect(app.get(HandoffLog).seen).toEqual(logged ? [handoffId] : []);
      expect(await relay.tickOnce()).toBe(0);
    },
  );

  it('marks an event’s row only once the receiving step has committed', async () => {
    const app = await apps.start({ providers: PROVIDERS });
    const handoffId = uniqueKey('handoff');
    const commit = TypeOrmProcessStore.prototype.commit;
    let reached!: () => void;
    const atCommit = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(TypeOrmProcessStore.prototype, 'commit').mockImplementation(async function (
      this: TypeOrmProcessStore,
      decision: Decision,
    ) {
      if (decision.instance.type === 'receiver') {
        reached();
        await released;
      }
      return commit.call(this, decision);
    });

    app.get(EventBus).publish(new SendHandoff(handoffId));
    await atCommit;
    const row = await waitFor(() => rowOf(app, 'HandedOff', handoffId), 'the outbox row');
    expect(row.dispatched_at).toBeNull();
    await waitFor(() => app.get(HandoffLog).seen.length === 1, 'the other route taking it meanwhile');
    expect((await rowOf(app, 'HandedOff', handoffId))?.dispatched_at).toBeNull();

    release();
    await waitFor(
      async () => (await rowOf(app, 'HandedOff', handoffId))?.dispatched_at,
      'the row marked dispatched after the commit',
    );
    expect(await app.get(ProcessManagerService).find('receiver', handoffId)).toMatchObject({
      state: { received: ['HandedOff'] },
    });
  });
});
