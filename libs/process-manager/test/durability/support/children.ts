import { afterAll } from '@jest/globals';
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const CHILD_TSCONFIG = fileURLToPath(new URL('../child/tsconfig.json', import.meta.url));

/** The child app compiled (with what it imports of the library) into a temporary directory. */
export interface ChildBuild {
  readonly dir: string;
  readonly main: string;
  /** tsc's diagnostics; empty when it compiled cleanly. JavaScript is emitted regardless. */
  readonly diagnostics: string;
}

/**
 * Compiles `child/main.ts` with the repo's TypeScript (decorator metadata on, the library's sources
 * imported relatively), into a temp directory that resolves the repo's node_modules and is ESM.
 */
export async function buildChild(): Promise<ChildBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'pm-durability-'));
  const outDir = join(dir, 'build');
  await mkdir(outDir);
  await writeFile(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  await symlink(join(REPO, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const diagnostics = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', CHILD_TSCONFIG, '--outDir', outDir, '--pretty', 'false'],
      { cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()),
    );
  });
  const main = join(outDir, 'test', 'durability', 'child', 'main.js');
  if (!existsSync(main))
    throw new Error(`The durability child app did not compile (no ${main}):\n${diagnostics}`);
  if (diagnostics)
    process.stdout.write(
      `\n[durability] the child app compiled with TypeScript errors (JavaScript emitted anyway; ` +
        `a missing API fails at run time, see the child logs):\n${diagnostics}\n\n`,
    );
  return { dir, main, diagnostics };
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One child process (one "generation" of a named app instance), logging to its own file. */
export class ChildApp {
  readonly exited: Promise<ChildExit>;
  exit: ChildExit | undefined;
  /** Set before the test kills or stops it, so an exit of its own can be told apart. */
  endedByTest = false;
  /** Sent 'ready' (booted, intakes running). */
  booted = false;
  private readonly process: ChildProcess;
  private readyMessage: Promise<void>;

  constructor(
    build: ChildBuild,
    readonly name: string,
    readonly logFile: string,
    env: Record<string, string>,
  ) {
    const log = openSync(logFile, 'a');
    try {
      this.process = fork(build.main, [], {
        cwd: REPO,
        env: { ...process.env, NO_COLOR: '1', ...env, CHILD_NAME: name },
        execArgv: ['--enable-source-maps'],
        stdio: ['ignore', log, log, 'ipc'],
      });
    } finally {
      closeSync(log);
    }
    this.process.on('error', () => undefined); // IPC to a dead child: not an error here
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    this.readyMessage = new Promise((resolve, reject) => {
      this.process.on('message', (message: { type?: string }) => {
        if (message?.type !== 'ready') return;
        this.booted = true;
        resolve();
      });
      void this.exited.then((exit) =>
        reject(new Error(`${name} exited (${describeExit(exit)}) before it was ready`)),
      );
    });
    this.readyMessage.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Resolves once the app booted and its intakes run. */
  async ready(timeoutMs = 60_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} was not ready within ${timeoutMs} ms\n${this.logTail(40)}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.readyMessage, timeout]);
    } catch (error) {
      if (error instanceof Error && !error.message.includes('\n')) error.message += `\n${this.logTail(40)}`;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no shutdown hook, no flush, nothing. */
  async kill(): Promise<ChildExit> {
    this.endedByTest = true;
    if (this.alive) this.process.kill('SIGKILL');
    return this.exited;
  }

  /** Asks the app to close; SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<ChildExit> {
    this.endedByTest = true;
    if (!this.alive) return this.exited;
    if (this.process.connected) this.process.send({ type: 'stop' }, () => undefined);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** Synchronous last resort (process exit handler). */
  killNow(): void {
    if (this.alive) this.process.kill('SIGKILL');
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 30): string {
    const all = this.log().trimEnd().split('\n');
    return `--- last ${Math.min(lines, all.length)} lines of ${this.logFile} ---\n${all.slice(-lines).join('\n')}`;
  }
}

export function describeExit(exit: ChildExit | undefined): string {
  if (!exit) return 'running';
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

const everyChild = new Set<ChildApp>();
process.once('exit', () => everyChild.forEach((child) => child.killNow()));

/**
 * Child apps of one spec file: all killed in `afterAll` (even when a test failed); the build and the
 * logs removed when nothing failed (the logs kept, and their directory printed, otherwise).
 */
export function useChildApps() {
  let build: ChildBuild | undefined;
  let logDir: string | undefined;
  const started: ChildApp[] = [];
  const generations = new Map<string, number>();
  let failed = false;

  afterAll(async () => {
    await Promise.all(started.map((child) => child.kill()));
    started.forEach((child) => everyChild.delete(child));
    if (!build) return;
    if (failed) {
      process.stdout.write(`[durability] child logs kept in ${logDir}\n`);
      await rm(join(build.dir, 'build'), { recursive: true, force: true });
    } else {
      await rm(build.dir, { recursive: true, force: true });
    }
  }, 30_000);

  return {
    async build(): Promise<ChildBuild> {
      build = await buildChild();
      logDir = join(build.dir, 'logs');
      await mkdir(logDir);
      return build;
    },
    get logDir(): string {
      if (!logDir) throw new Error('build() first');
      return logDir;
    },
    /** Forks a new generation of the app instance `name` (not yet ready). */
    start(name: string, env: Record<string, string>): ChildApp {
      if (!build || !logDir) throw new Error('build() first');
      const generation = (generations.get(name) ?? 0) + 1;
      generations.set(name, generation);
      const child = new ChildApp(
        build,
        `${name}#${generation}`,
        join(logDir, `${name}-${generation}.log`),
        env,
      );
      started.push(child);
      everyChild.add(child);
      return child;
    },
    /** SIGKILLs every child still running. */
    async killAll(): Promise<void> {
      await Promise.all(started.map((child) => child.kill()));
    },
    get all(): readonly ChildApp[] {
      return started;
    },
    /** Children that exited without the test ending them: crashes. */
    crashed(): ChildApp[] {
      return started.filter((child) => !child.alive && !child.endedByTest);
    },
    /** The tail of each child's log that matters: those that crashed, and those still running. */
    tails(lines = 25): string {
      const relevant = started.filter((child) => child.alive || !child.endedByTest);
      return relevant
        .map((child) => `${child.name} (${describeExit(child.exit)})\n${child.logTail(lines)}`)
        .join('\n\n');
    },
    /** Runs assertions; on failure appends the children's log tails to the error and keeps the logs. */
    async explain<T>(assertions: () => T | Promise<T>, lines = 25): Promise<T> {
      try {
        return await assertions();
      } catch (error) {
        failed = true;
        const tails = `\n\nChild logs (all in ${logDir}):\n${this.tails(lines)}`;
        if (error instanceof Error) {
          // Jest prints the stack, which carries the message as it was when the error was made.
          const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
          error.message += tails;
          error.stack = [`${error.name}: ${error.message}`, ...frames].join('\n');
          throw error;
        }
        throw new Error(`${String(error)}${tails}`);
      }
    },
    markFailed(): void {
      failed = true;
    },
  };
}

export type ChildApps = ReturnType<typeof useChildApps>;
