// A consuming service (a real child process) SIGKILLed after its step committed and before the ack:
// the broker redelivers the message to the restarted service, whose inbox skips it, so it is applied
// once. The child is compiled like the durability specs' one (test/durability/support/children.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';
import { RABBITMQ_URL, useBroker } from './broker.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD_TSCONFIG = fileURLToPath(new URL('./child/tsconfig.json', import.meta.url));

interface Child {
  readonly process: ChildProcess;
  readonly messages: { type: string; messageId?: string }[];
  readonly exited: Promise<unknown>;
}

describe('a consumer killed between commit and ack (real child process, RabbitMQ, PostgreSQL)', () => {
  const broker = useBroker();
  const children: Child[] = [];
  let db: TestDatabase;
  let buildDir: string;
  let main: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    buildDir = await mkdtemp(join(tmpdir(), 'pm-rabbitmq-'));
    const outDir = join(buildDir, 'build');
    await mkdir(outDir);
    await writeFile(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
    await symlink(join(REPO, 'node_modules'), join(outDir, 'node_modules'), 'dir');
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const output = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [tsc, '-p', CHILD_TSCONFIG, '--outDir', outDir, '--pretty', 'false'],
        { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
        (_error, stdout, stderr) => resolve(`${stdout}${stderr}`),
      ),
    );
    main = join(outDir, 'test', 'rabbitmq', 'child', 'consumer.js');
    if (!existsSync(main)) throw new Error(`The consumer child did not compile:\n${output}`);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    await db?.drop();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  }, 30_000);

  const start = async (env: Record<string, string>): Promise<Child> => {
    const child = fork(main, [], {
      cwd: REPO,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        RABBITMQ_URL,
        RABBITMQ_EXCHANGE: broker.exchange,
        RABBITMQ_QUEUE: broker.queue('consumer'),
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: Child['messages'] = [];
    child.on('message', (message: Child['messages'][number]) => messages.push(message));
    child.on('error', () => undefined);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const started = { process: child, messages, exited };
    children.push(started);
    await waitFor(() => messages.some((message) => message.type === 'ready'), 'the consumer ready', 60_000);
    return started;
  };

  const tally = async (key: string) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ state: { count: number }; steps: number }>(
        `SELECT p.state, (SELECT count(*)::int FROM pm_history h WHERE h.process_id = p.id) AS steps
           FROM pm_process p WHERE p.type = 'tally' AND p.correlation_key = $1`,
        [key],
      );
      return rows;
    } finally {
      await client.end();
    }
  };

  it('redelivers a message whose consumer was killed before its step committed, and applies it once', async () => {
    const first = await start({ HOLD_BEFORE_COMMIT: '1' });
    const key = randomUUID();
    const messageId = randomUUID();
    const channel = await broker.channel();
    channel.publish(broker.exchange, 'Counted', Buffer.from(JSON.stringify({ key })), {
      persistent: true,
      messageId,
      type: 'Counted',
      headers: { occurredAt: new Date().toISOString() },
    });
    await waitFor(
      () => first.messages.some((message) => message.type === 'received' && message.messageId === messageId),
      'the delivery received (step not run)',
    );
    first.process.kill('SIGKILL');
    await first.exited;
    expect(await tally(key)).toEqual([]);

    const second = await start({});
    await waitFor(
      () =>
        second.messages.some((message) => message.type === 'committed' && message.messageId === messageId),
      'the redelivery committed by the restarted consumer',
    );
    expect(await tally(key)).toEqual([{ state: { count: 1 }, steps: 1 }]);
    second.process.send({ type: 'stop' });
    await second.exited;
    expect((await channel.checkQueue(broker.queue('consumer'))).messageCount).toBe(0);
  }, 90_000);

  it('redelivers the message to the restarted consumer, which applies it once', async () => {
    const first = await start({ PAUSE_BEFORE_ACK: '1' });
    const key = randomUUID();
    const messageId = randomUUID();
    const channel = await broker.channel();
    channel.publish(broker.exchange, 'Counted', Buffer.from(JSON.stringify({ key })), {
      persistent: true,
      messageId,
      type: 'Counted',
      headers: { occurredAt: new Date().toISOString() },
    });

    await waitFor(
      () => first.messages.some((message) => message.type === 'committed' && message.messageId === messageId),
      'the step committed (not acked)',
    );
    expect(await tally(key)).toEqual([{ state: { count: 1 }, steps: 1 }]);
    first.process.kill('SIGKILL');
    await first.exited;
    // Unacked when its consumer died: back in the queue.
    await waitFor(
      async () => (await channel.checkQueue(broker.queue('consumer'))).messageCount === 1,
      'the message back in the queue',
    );

    const second = await start({});
    await waitFor(
      () =>
        second.messages.some((message) => message.type === 'committed' && message.messageId === messageId),
      'the redelivery handled by the restarted consumer',
    );
    await waitFor(
      async () => (await channel.checkQueue(broker.queue('consumer'))).messageCount === 0,
      'the queue drained',
    );
    expect(await tally(key)).toEqual([{ state: { count: 1 }, steps: 1 }]);
    second.process.send({ type: 'stop' });
    await second.exited;
    // Acked this time: nothing comes back after a clean stop.
    expect((await channel.checkQueue(broker.queue('consumer'))).messageCount).toBe(0);
  }, 90_000);
});
