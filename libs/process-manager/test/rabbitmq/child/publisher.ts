// A publishing service in a child process, for the publisher kill -9 spec: a `count-request` process per
// key publishes `Counted` (one of its transport's `publish` types) when it starts on `CountRequested`.
// IPC: `{ type: 'request', keys }` delivers one CountRequested per key and answers 'committed' once
// every step committed (its outbox row with it). With BLOCK_PUBLISH=1 no publish reaches the broker: the
// transport reports 'publishing' (the messageId) and never returns, so the test can SIGKILL the service
// between commit and publish. With RELAY=1, once connected, the outbox relay runs every 100 ms and
// publishes what an earlier, killed run left.
import { OnEvent, type ProcessContext, ProcessManager, ProcessManagerService } from '../../../src/index.js';
import { RabbitMqTransport } from '../../../src/rabbitmq/index.js';
import type { Dispatchable } from '../../../src/runtime/dispatchable.js';
import { OutboxRelay } from '../../../src/scheduling/index.js';
import { startService } from './service.js';
import { Counted } from './tally.js';

export class CountRequested {
  constructor(readonly key: string) {}
}

@ProcessManager({ name: 'count-request', correlationKey: 'key' })
class CountRequest {
  @OnEvent(CountRequested, { start: true })
  requested(event: CountRequested, ctx: ProcessContext<{ requested: boolean }>) {
    ctx.state.requested = true;
    ctx.publish(new Counted(event.key));
  }
}

if (process.env.BLOCK_PUBLISH === '1')
  RabbitMqTransport.prototype.publish = async function (message: Dispatchable) {
    process.send?.({ type: 'publishing', messageId: message.metadata.messageId });
    return new Promise<never>(() => undefined);
  };

const app = await startService({ providers: [CountRequest], publish: [Counted] });
process.on('message', (message: { type?: string; keys?: string[] }) => {
  if (message?.type !== 'request') return;
  const service = app.get(ProcessManagerService);
  void Promise.all((message.keys ?? []).map((key) => service.deliver(new CountRequested(key)))).then(
    () => process.send?.({ type: 'committed' }),
    (error: unknown) => process.send?.({ type: 'failed', error: String(error) }),
  );
});
if (process.env.RELAY === '1') {
  await app.get(RabbitMqTransport).whenConnected();
  const relay = app.get(OutboxRelay);
  const tick = (): void =>
    void relay
      .tickOnce()
      .catch((error: unknown) => process.send?.({ type: 'failed', error: String(error) }))
      .finally(() => setTimeout(tick, 100));
  tick();
}
