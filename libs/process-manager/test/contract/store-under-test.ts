import { afterAll, beforeAll } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { InMemoryProcessStore } from '../../src/memory/in-memory-process.store.js';
import type { ProcessStore } from '../../src/ports/process-store.js';
import { PROCESS_MANAGER_ENTITIES } from '../../src/typeorm/entities/index.js';
import { PROCESS_MANAGER_MIGRATIONS } from '../../src/typeorm/migrations/index.js';
import { TypeOrmProcessStore } from '../../src/typeorm/typeorm-process.store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

export type ClaimTable = 'pm_outbox' | 'pm_timer' | 'pm_dead_letter';

/** A fresh, empty store, as one contract test sees it. */
export interface StoreUnderTest {
  store: ProcessStore;
  /**
   * A second claimer on the same data, for concurrent claims: on PostgreSQL another store on its own
   * connection pool (as a second app instance), in memory the same store.
   */
  peer: ProcessStore;
  /**
   * Locks a row in an open transaction on another connection, as a claimer in the middle of its claim
   * holds it (PostgreSQL only); resolves to the function that releases it.
   */
  holdRowLock?(table: ClaimTable, id: string): Promise<() => Promise<void>>;
}

/** Opens a fresh store per test; `rowLocks` says whether claims take row locks (`holdRowLock`). */
export interface OpenStore {
  (): Promise<StoreUnderTest>;
  readonly rowLocks: boolean;
}

export function memoryStore(): OpenStore {
  return Object.assign(
    async () => {
      const store = new InMemoryProcessStore();
      return { store, peer: store };
    },
    { rowLocks: false },
  );
}

export interface PostgresStoreOptions {
  /**
   * `maxConcurrent: 0` sends every commit, even a lone one, through the batch statement (see
   * `CommitBatcher`), so each rule is checked on BATCH_STEP_SQL.
   */
  batching: { enabled: boolean; maxSize: number; maxConcurrent?: number };
}

/**
 * The PostgreSQL store as the module builds it (`createTypeOrmStore`): a fresh database for the spec
 * file, the library's migrations, a TypeORM DataSource. Call it at the top of a spec file (it registers
 * `beforeAll`/`afterAll`); each `open()` empties the tables.
 */
export function postgresStore({ batching }: PostgresStoreOptions): OpenStore {
  let db: TestDatabase | undefined;
  const dataSources: DataSource[] = [];
  const stores: TypeOrmProcessStore[] = [];

  /** A DataSource with its own pool and the store on it, as one app instance has. */
  const connect = async (url: string, migrationsRun: boolean) => {
    const dataSource = new DataSource({
      type: 'postgres',
      driver: pg, // Jest's ESM mode cannot resolve TypeORM's lazy require('pg')
      url,
      entities: PROCESS_MANAGER_ENTITIES,
      migrations: PROCESS_MANAGER_MIGRATIONS,
      migrationsRun,
      extra: { max: 8 },
    });
    await dataSource.initialize();
    dataSources.push(dataSource);
    const store = new TypeOrmProcessStore(() => dataSource, batching);
    await store.onModuleInit();
    stores.push(store);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await connect(db.url, true);
    await connect(db.url, false); // the peer: the schema exists by now
  });
  afterAll(async () => {
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
    await db?.drop();
  });

  const holdRowLock = async (table: ClaimTable, id: string) => {
    const client = new pg.Client({ connectionString: db!.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  };

  return Object.assign(
    async () => {
      // DELETE, not TRUNCATE: on these few rows it costs a millisecond, TRUNCATE a file rewrite per table.
      await dataSources[0]!.query(
        [
          'pm_dead_letter_resolved',
          'pm_dead_letter',
          'pm_timer',
          'pm_outbox',
          'pm_inbox',
          'pm_association',
          'pm_history',
          'pm_process',
        ]
          .map((table) => `DELETE FROM ${table};`)
          .join(' '),
      );
      return { store: stores[0]!, peer: stores[1]!, holdRowLock };
    },
    { rowLocks: true },
  );
}
