// A consuming service in a child process, for the kill -9 spec: a `tally` process per key, fed over
// RabbitMQ. Tells the test over IPC when a delivery's step committed ('committed', before the ack);
// with PAUSE_BEFORE_ACK=1 it then never acks, so the test can SIGKILL it between commit and ack; with
// HOLD_BEFORE_COMMIT=1 it never runs the step ('received' only), for a kill before the commit.
import { getMetadata } from '../../../src/index.js';
import { ProcessRunner } from '../../../src/runtime/process-runner.js';
import { startService } from './service.js';
import { Counted, Tally } from './tally.js';

const pause = process.env.PAUSE_BEFORE_ACK === '1';
const hold = process.env.HOLD_BEFORE_COMMIT === '1';
const deliver = ProcessRunner.prototype.deliver;
ProcessRunner.prototype.deliver = async function (this: ProcessRunner, event: object) {
  process.send?.({ type: 'received', messageId: getMetadata(event)?.messageId });
  if (hold) await new Promise<never>(() => undefined);
  await deliver.call(this, event);
  process.send?.({ type: 'committed', messageId: getMetadata(event)?.messageId });
  if (pause) await new Promise<never>(() => undefined);
};

await startService({ providers: [Tally], subscribe: [Counted], readyWhenConnected: true });
