import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { queryOne } from './database.js';
import type { PostgresServer } from './postgres-server.js';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  fsync: string;
  synchronousCommit: string;
  sharedBuffers: string;
  database: PostgresServer['kind'];
  /** 1-minute load average when the run started and when it ended: other work on the machine skews figures. */
  loadAverage: { start: number; end?: number };
}

/** Cores, memory, versions and PostgreSQL settings that matter for the figures. */
export async function describeMachine(server: PostgresServer): Promise<MachineInfo> {
  const settings = await queryOne<{ version: string; fsync: string; sync: string; buffers: string }>(
    server.url,
    `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
       current_setting('synchronous_commit') AS sync, current_setting('shared_buffers') AS buffers`,
  );
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    postgres: settings.version,
    fsync: settings.fsync,
    synchronousCommit: settings.sync,
    sharedBuffers: settings.buffers,
    database: server.kind,
    loadAverage: { start: loadavg()[0]! },
  };
}

export function currentLoad(): number {
  return loadavg()[0]!;
}
