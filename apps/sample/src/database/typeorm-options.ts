import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { PROCESS_MANAGER_MIGRATIONS } from 'nestjs-process-manager';
import pg from 'pg';
import { SAMPLE_MIGRATIONS } from './sample-migrations.js';

/** PostgreSQL through TypeORM; the library's and the sample's migrations run at boot, never `synchronize`. */
export function typeOrmOptions(url: string): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url,
    driver: pg, // Jest's ESM mode cannot resolve TypeORM's lazy require('pg')
    autoLoadEntities: true,
    migrations: [...PROCESS_MANAGER_MIGRATIONS, ...SAMPLE_MIGRATIONS],
    migrationsRun: true,
    synchronize: false,
    extra: { max: 20 },
  };
}
