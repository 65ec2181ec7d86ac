import { afterAll, beforeAll } from '@jest/globals';
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/wait-for.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD_TSCONFIG = fileURLToPath(new URL('./child/tsconfig.json', import.meta.url));

/** A program of test/rabbitmq/child. */
export type ChildProgram = 'consumer' | 'publisher';

/** What a child tells the test over IPC: `ready`, and what each program reports (see its header). */
export interface ChildReport {
  type: string;
  messageId?: string;
  error?: string;
}

export interface Child {
  readonly process: ChildProcess;
  readonly reports: ChildReport[];
  readonly exited: Promise<unknown>;
  /** Asks for a clean shutdown and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Compiles test/rabbitmq/child (like the durability specs' child: the library's sources imported
 * relatively, into a temp directory that resolves the repo's node_modules and is ESM) in `beforeAll`;
 * `start` forks one of its programs and waits for its `ready`; `afterAll` SIGKILLs what is left.
 */
export function useChildPrograms(): { start(program: ChildProgram, env: NodeJS.ProcessEnv): Promise<Child> } {
  const children: Child[] = [];
  let buildDir: string | undefined;
  let outDir = '';

  beforeAll(async () => {
    buildDir = await mkdtemp(join(tmpdir(), 'pm-rabbitmq-'));
    outDir = join(buildDir, 'build');
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
    for (const program of ['consumer', 'publisher'] satisfies ChildProgram[])
      if (!existsSync(mainOf(program))) throw new Error(`The ${program} child did not compile:\n${output}`);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  }, 30_000);

  const mainOf = (program: ChildProgram) => join(outDir, 'test', 'rabbitmq', 'child', `${program}.js`);

  return {
    async start(program, env) {
      const child = fork(mainOf(program), [], {
        cwd: REPO,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const reports: ChildReport[] = [];
      child.on('message', (report: ChildReport) => reports.push(report));
      child.on('error', () => undefined);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const stop = async () => {
        if (child.connected) child.send({ type: 'stop' });
        await exited;
      };
      const started: Child = { process: child, reports, exited, stop };
      children.push(started);
      await waitFor(
        () => reports.some((report) => report.type === 'ready') || child.exitCode !== null,
        `the ${program} child ready`,
        60_000,
      );
      if (child.exitCode !== null)
        throw new Error(`The ${program} child exited (${child.exitCode}) before ready`);
      return started;
    },
  };
}
