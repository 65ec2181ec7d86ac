import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import {
  MessageType,
  OnEvent,
  ProcessManager,
  type ProcessContext,
  ProcessManagerService,
} from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { STORES, uniqueKey } from '../support/messages.js';

@Injectable()
class Switch {
  broken = false;
}

@MessageType('AuditSpec.ParcelRegistered')
class ParcelRegistered {
  constructor(readonly parcelId: string) {}
}
@MessageType('AuditSpec.ParcelScanned')
class ParcelScanned {
  constructor(readonly parcelId: string) {}
}
@MessageType('AuditSpec.ParcelLost')
class ParcelLost {
  constructor(readonly parcelId: string) {}
}

@ProcessManager({ name: 'audited-parcel', correlationKey: 'parcelId', initialState: () => ({ scans: 0 }) })
class ParcelProcess {
  constructor(private readonly sw: Switch) {}

  @OnEvent(ParcelRegistered, { start: true, to: 'registered' })
  registered() {}

  @OnEvent(ParcelScanned, { to: 'scanned' })
  scanned(_event: ParcelScanned, ctx: ProcessContext<{ scans: number }>) {
    if (this.sw.broken) throw new Error('scanner offline');
    ctx.state.scans += 1;
  }

  @OnEvent(ParcelLost)
  lost(_event: ParcelLost, ctx: ProcessContext<{ scans: number }>) {
    ctx.fail('lost in transit');
  }
}

const PROVIDERS = [Switch, ParcelProcess];
const OPTIONS = { retry: { maxAttempts: 1 } };

describe.each(STORES)('operator actions in the history (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  async function parcel() {
    const app = await createApp({ store, url: db.url, providers: PROVIDERS, options: OPTIONS });
    const processes = app.get(ProcessManagerService);
    const parcelId = uniqueKey('parcel');
    await processes.deliver(new ParcelRegistered(parcelId));
    const instance = (await processes.find('audited-parcel', parcelId))!;
    return { app, processes, parcelId, instance };
  }

  it('a retry of a dead letter leaves an operator row in the timeline, before the step it re-ran', async () => {
    const { app, processes, parcelId, instance } = await parcel();
    app.get(Switch).broken = true;
    await processes.deliver(new ParcelScanned(parcelId));
    expect(await processes.deadLetters({ processId: instance.id })).toHaveLength(1);
    app.get(Switch).broken = false;

    await processes.retry(instance.id, { actor: 'carol', reason: 'scanner rebooted' });
    const history = await processes.history(instance.id);
    expect(history.map(({ outcome, messageType }) => [outcome, messageType])).toEqual([
      ['handled', 'AuditSpec.ParcelRegistered'],
      ['retried', 'ProcessManager.Retry'],
      ['handled', 'AuditSpec.ParcelScanned'],
    ]);
    expect(history[1]).toMatchObject({
      note: 'Retry of 1 dead letter (AuditSpec.ParcelScanned): scanner rebooted (by carol)',
      fromState: 'registered',
      toState: 'registered',
      status: 'running',
    });
    expect(await processes.get(instance.id)).toMatchObject({ stateName: 'scanned', state: { scans: 1 } });
    expect(await processes.deadLetters({ processId: instance.id })).toEqual([]);
  });

  it('a retry without dead letters (re-send the last step) is recorded too; a finished one is refused', async () => {
    const { processes, parcelId, instance } = await parcel();
    await processes.retry(instance.id);
    expect((await processes.history(instance.id)).at(-1)).toMatchObject({
      outcome: 'retried',
      note: "Retry: the last step's commands re-sent",
    });
    await processes.deliver(new ParcelLost(parcelId));
    const before = (await processes.history(instance.id)).length;
    await expect(processes.retry(instance.id)).rejects.toThrow(/Cannot retry/);
    expect(await processes.history(instance.id)).toHaveLength(before);
  });

  it('acknowledge and cancel keep who and why; the 0.1 signatures still work', async () => {
    const { processes, parcelId, instance } = await parcel();
    await processes.deliver(new ParcelLost(parcelId));
    await processes.acknowledgeFailure(instance.id, { actor: 'dave', reason: 'insurance claim filed' });
    expect((await processes.history(instance.id)).at(-1)).toMatchObject({
      outcome: 'acknowledged',
      note: 'insurance claim filed (by dave)',
    });

    const other = await parcel();
    await other.processes.cancel(other.instance.id, 'sender withdrew', { actor: 'erin' });
    expect((await other.processes.history(other.instance.id)).at(-1)).toMatchObject({
      outcome: 'cancelled',
      note: 'sender withdrew (by erin)',
    });
    const plain = await parcel();
    await plain.processes.cancel(plain.instance.id, 'no actor');
    await expect(plain.processes.history(plain.instance.id)).resolves.toContainEqual(
      expect.objectContaining({ outcome: 'cancelled', note: 'no actor' }),
    );
  });

  it('overview() counts the instances holding a key per type, and the open dead letters', async () => {
    const { app, processes, parcelId } = await parcel();
    const before = await processes.overview();
    app.get(Switch).broken = true;
    await processes.deliver(new ParcelScanned(parcelId));
    const lostId = uniqueKey('parcel');
    await processes.deliver(new ParcelRegistered(lostId));
    await processes.deliver(new ParcelLost(lostId));
    const after = await processes.overview();
    const [was, now] = [before.types[0]!, after.types[0]!];
    expect(now.type).toBe('audited-parcel');
    expect({
      running: now.running - was.running,
      failed: now.failed - was.failed,
      deadLetters: now.deadLetters - was.deadLetters,
    }).toEqual({ running: 0, failed: 1, deadLetters: 1 });
    await processes.acknowledgeFailure((await processes.find('audited-parcel', lostId))!.id);
    expect((await processes.overview()).types[0]!.failed).toBe(was.failed);
  });
});
