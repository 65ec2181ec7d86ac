import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp } from '../../apps/sample/src/create-app.js';
import type { SampleOptions } from '../../apps/sample/src/sample-options.js';
import { waitFor } from './wait-for.js';

/** supertest bound to the app's HTTP server. */
export type Http = ReturnType<typeof request>;

export interface SampleUnderTest {
  app: INestApplication;
  http: Http;
  close(): Promise<void>;
}

/** Boots the sample on `databaseUrl` with fast fake services; logs only errors. */
export async function startSample(
  databaseUrl: string,
  options: Partial<SampleOptions> = {},
): Promise<SampleUnderTest> {
  const app = await createApp({
    databaseUrl,
    serviceDelayMs: { min: 5, max: 20 },
    logger: ['error'],
    ...options,
    processManager: {
      timers: { pollIntervalMs: 50 },
      retry: { initialDelayMs: 10, maxDelayMs: 50 },
      ...options.processManager,
    },
  });
  return { app, http: request(app.getHttpServer()), close: () => app.close() };
}

export interface ProcessView {
  id: string;
  type: string;
  correlationKey: string;
  status: string;
  stateName?: string;
  state: Record<string, unknown>;
  version: number;
  lastError?: string;
  acknowledgedAt?: string;
  history: HistoryView[];
}

export interface HistoryView {
  seq: number;
  messageType: string;
  outcome: string;
  fromState?: string;
  toState?: string;
  status: string;
  commands: { kind: string; type: string; payload: Record<string, unknown> }[];
  error?: string;
}

export async function getProcess(http: Http, processId: string): Promise<ProcessView> {
  const response = await http.get(`/processes/${processId}`).expect(200);
  return response.body as ProcessView;
}

/** Waits until the process has the given status (and named state, when given). */
export function waitForProcess(
  http: Http,
  processId: string,
  status: string,
  stateName?: string,
  timeoutMs = 10_000,
): Promise<ProcessView> {
  return waitFor(
    async () => {
      const process = await getProcess(http, processId);
      const done = process.status === status && (stateName === undefined || process.stateName === stateName);
      return done ? process : undefined;
    },
    `process ${processId} to be ${status}${stateName ? ` in ${stateName}` : ''}`,
    timeoutMs,
  );
}

/** Every message the process sent, in order: `['command ValidateOrder', 'event OrderFailed', …]`. */
export function sentBy(process: ProcessView): string[] {
  return process.history
    .flatMap((entry) => entry.commands)
    .filter((message) => !message.type.startsWith('ProcessManager.'))
    .map((message) => `${message.kind} ${message.type}`);
}
