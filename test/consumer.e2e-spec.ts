// The library as a user gets it: `npm pack` in libs/process-manager, the tarball installed into a
// scratch Nest app outside the repository (fixture: test/consumer/app), type-checked with strict
// nodenext TypeScript, built, and booted against PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const libraryDir = join(repoRoot, 'libs', 'process-manager');
const fixtureDir = join(repoRoot, 'test', 'consumer', 'app');

/** npm without the npm_* variables of the `npm test` that runs Jest (they name this repository's package). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set([
    'npm_config_cache',
    'npm_config_userconfig',
    'npm_config_globalconfig',
    'npm_config_registry',
  ]);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || keep.has(name.toLowerCase())),
  );
  delete env.INIT_CWD;
  return { ...env, ...extra };
}

async function sh(command: string, args: string[], cwd: string, env = cleanEnv()) {
  try {
    return await run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** Every installed copy of `name` under `dir`'s node_modules, nested ones included. */
async function copiesOf(dir: string, name: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (nodeModules: string): Promise<void> => {
    if (!existsSync(nodeModules)) return;
    if (existsSync(join(nodeModules, name, 'package.json'))) found.push(join(nodeModules, name));
    for (const entry of await readdir(nodeModules)) {
      const packages = entry.startsWith('@')
        ? (await readdir(join(nodeModules, entry))).map((sub) => join(nodeModules, entry, sub))
        : [join(nodeModules, entry)];
      for (const pkg of packages) {
        if ((await lstat(pkg)).isDirectory()) await walk(join(pkg, 'node_modules'));
      }
    }
  };
  await walk(join(dir, 'node_modules'));
  return found;
}

describe('the packed library in a scratch app', () => {
  let workDir: string;
  let appDir: string;
  let tarball: string;
  let database: TestDatabase;
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await work();
    } finally {
      timings[step] = Date.now() - start;
    }
  };

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'pm-consumer-'));
    appDir = join(workDir, 'app');
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    console.log(`consumer smoke test, ms per step: ${JSON.stringify(timings)}`);
  });

  it('installs from the tarball, type-checks, boots, runs a command handler and a durable timer', async () => {
    // 1. npm pack (prepack builds dist/) into the scratch directory.
    await timed('pack', () => sh('npm', ['pack', '--pack-destination', workDir], libraryDir));
    const packed = (await readdir(workDir)).filter((file) => file.endsWith('.tgz'));
    expect(packed).toEqual([expect.stringMatching(/^nestjs-process-manager-\d+\.\d+\.\d+.*\.tgz$/)]);
    tarball = join(workDir, packed[0]!);

    // 2. The tarball holds package.json, README/LICENSE if any, and dist/ — no sources, no tests.
    const { stdout: listing } = await sh('tar', ['-tzf', tarball], workDir);
    const files = listing.split('\n').filter(Boolean);
    const outside = files.filter(
      (file) => !/^package\/(package\.json|README(\.md)?|LICENSE(\.md|\.txt)?|dist\/.+)$/i.test(file),
    );
    expect(outside).toEqual([]);
    expect(files.filter((file) => /\.spec\.|\/test\/|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual(
      [],
    );
    for (const entry of ['', 'testing/', 'dashboard/', 'rabbitmq/']) {
      for (const suffix of ['index.js', 'index.d.ts', 'index.d.ts.map']) {
        expect(files).toContain(`package/dist/${entry}${suffix}`);
      }
    }

    // 3. A scratch app outside the repository: the library's peers at their caret ranges, the tarball.
    await cp(fixtureDir, appDir, { recursive: true });
    const library = JSON.parse(await readFile(join(libraryDir, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const root = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const peers = Object.entries(library.peerDependencies).filter(
      ([name]) => !library.peerDependenciesMeta[name]?.optional || name === '@nestjs/testing',
    );
    const caret = (version: string) => (/^\d/.test(version) ? `^${version}` : version);
    const manifest = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    manifest.dependencies = { ...Object.fromEntries(peers), 'nestjs-process-manager': `file:${tarball}` };
    manifest.devDependencies = {
      typescript: caret(root.devDependencies.typescript!),
      '@types/node': caret(root.devDependencies['@types/node']!),
    };
    await writeFile(join(appDir, 'package.json'), JSON.stringify(manifest, null, 2));

    await timed('install', () =>
      sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], appDir),
    );
    expect((await lstat(join(appDir, 'node_modules', 'nestjs-process-manager'))).isSymbolicLink()).toBe(
      false,
    );

    // 4. One copy of Nest's core and CQRS: a second @nestjs/cqrs would be a second EventBus class.
    expect(await copiesOf(appDir, '@nestjs/cqrs')).toEqual([join(appDir, 'node_modules', '@nestjs', 'cqrs')]);
    expect(await copiesOf(appDir, '@nestjs/core')).toEqual([join(appDir, 'node_modules', '@nestjs', 'core')]);

    // 5. Strict nodenext TypeScript against the shipped declarations, then the build.
    const tsc = join(appDir, 'node_modules', 'typescript', 'bin', 'tsc');
    await timed('typecheck', () => sh(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], appDir));
    await timed('build', () => sh(process.execPath, [tsc, '-p', 'tsconfig.json'], appDir));

    // 6. Boot on a fresh database: an event starts the process, its command runs, its timer fires.
    const { stdout } = await timed('boot', () =>
      sh(process.execPath, ['dist/main.js'], appDir, cleanEnv({ DATABASE_URL: database.url })),
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      commands: string[];
      completed: string[];
      entries: Record<string, unknown>;
    };
    expect(result.commands).toEqual(['PrintLabel p-1', 'SendCourier p-1']);
    expect(result.completed).toEqual(['p-1']);
    // The entries resolve at runtime (what they export grows as the dashboard and transport land).
    expect(result.entries).toEqual({
      dashboard: expect.any(Array),
      rabbitmq: expect.any(Array),
      testing: 'ok',
    });
  }, 240_000);
});
