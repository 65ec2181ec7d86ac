import { type ChildProcess, execFile, fork } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import request from 'supertest';
import type { SampleServiceName } from '../../apps/sample/src/services/sample-service.js';
import type { Http } from './sample-app.js';
import { waitFor } from './wait-for.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('./sample-services.tsconfig.json', import.meta.url));
const LIBRARY_ENTRIES = ['testing', 'dashboard', 'rabbitmq'];

/** The sample's `main.ts` compiled, with the library's sources, into a temporary directory. */
export interface SampleBuild {
  readonly dir: string;
  readonly main: string;
  remove(): Promise<void>;
}

/**
 * Compiles the sample like `npm run build` does, but into a temporary directory and from the library's
 * sources (not its shared dist/): there `nestjs-process-manager` resolves to the compiled sources, every
 * other package to the repo's node_modules.
 */
export async function buildSample(): Promise<SampleBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'pm-sample-services-'));
  const outDir = join(dir, 'build');
  await mkdir(join(outDir, 'apps', 'node_modules'), { recursive: true });
  await writeFile(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  await symlink(join(REPO, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const diagnostics = await new Promise<string>((resolve) =>
    execFile(
      process.execPath,
      [tsc, '-p', TSCONFIG, '--outDir', outDir, '--pretty', 'false'],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()),
    ),
  );
  const main = join(outDir, 'apps', 'sample', 'src', 'main.js');
  const library = join(outDir, 'libs', 'process-manager');
  if (diagnostics || !existsSync(main) || !existsSync(join(library, 'src', 'index.js'))) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`The sample did not compile:\n${diagnostics}`);
  }
  const exports = Object.fromEntries([
    ['.', './src/index.js'],
    ...LIBRARY_ENTRIES.map((entry) => [`./${entry}`, `./src/${entry}/index.js`]),
  ]);
  await writeFile(
    join(library, 'package.json'),
    JSON.stringify({ name: 'nestjs-process-manager', type: 'module', exports }),
  );
  await symlink(library, join(outDir, 'apps', 'node_modules', 'nestjs-process-manager'), 'dir');
  return { dir, main, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface SampleServiceEnv {
  databaseUrl: string;
  rabbitMqUrl: string;
  exchange: string;
  queue: string;
  /** Tells whether the service consumes its queue. */
  probe: QueueProbe;
}

/**
 * One service of the sample (`SAMPLE_SERVICE`) as a real child process on a free port, logging to a
 * file; `start()` again after it died boots it anew on the same database, queue and port.
 */
export class SampleServiceProcess {
  readonly http: Http;
  private child: ChildProcess | undefined;
  private exit: Promise<NodeJS.Signals | number | null> = Promise.resolve(null);

  private constructor(
    private readonly build: SampleBuild,
    readonly service: SampleServiceName,
    readonly port: number,
    private readonly env: SampleServiceEnv,
  ) {
    this.http = request(`http://127.0.0.1:${port}`);
  }

  static async start(
    build: SampleBuild,
    service: SampleServiceName,
    env: SampleServiceEnv,
  ): Promise<SampleServiceProcess> {
    const started = new SampleServiceProcess(build, service, await freePort(), env);
    await started.start();
    return started;
  }

  get logFile(): string {
    return join(this.build.dir, `${this.service}.log`);
  }

  /** Forks the service and waits until `GET /health` is 200 and it consumes its queue. */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    try {
      this.child = fork(this.build.main, [], {
        cwd: REPO,
        env: {
          ...process.env,
          NO_COLOR: '1',
          SAMPLE_SERVICE: this.service,
          PORT: String(this.port),
          DATABASE_URL: this.env.databaseUrl,
          RABBITMQ_URL: this.env.rabbitMqUrl,
          RABBITMQ_EXCHANGE: this.env.exchange,
          RABBITMQ_QUEUE: this.env.queue,
        },
        execArgv: ['--enable-source-maps'],
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    const child = this.child;
    child.on('error', () => undefined);
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${this.service} exited at boot`);
        const health = await this.http.get('/health').catch(() => undefined);
        return health?.status === 200 && (await this.consuming());
      },
      `${this.service} to be healthy and consuming ${this.env.queue}`,
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${this.logTail()}`);
    });
  }

  private consuming(): Promise<boolean> {
    return this.env.probe.hasConsumer(this.env.queue);
  }

  /** Sends `signal` and resolves once the process is gone, with its exit signal or code. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<NodeJS.Signals | number | null> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exit;
  }

  /** The last lines of the service's log, for failure messages. */
  logTail(lines = 40): string {
    if (!existsSync(this.logFile)) return `(no log at ${this.logFile})`;
    const tail = readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `--- last lines of ${this.logFile} ---\n${tail}`;
  }
}

/** One connection to the broker for looking at queues; `close()` it in `afterAll`. */
export interface QueueProbe {
  /** The queue exists and has a consumer (a service declares and binds its queue when it connects). */
  hasConsumer(queue: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function openQueueProbe(url: string): Promise<QueueProbe> {
  const connection = await amqp.connect(url);
  connection.on('error', () => undefined);
  return {
    async hasConsumer(queue) {
      // A channel per look: checking a queue that is not declared yet closes the channel.
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      try {
        return (await channel.checkQueue(queue)).consumerCount > 0;
      } catch {
        return false;
      } finally {
        await channel.close().catch(() => undefined);
      }
    },
    close: () => connection.close().catch(() => undefined),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
