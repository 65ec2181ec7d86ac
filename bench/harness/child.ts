import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sampleResources } from './resources.js';

/** A message between the benchmark and a child process; `type` tells them apart. */
export interface ChildMessage {
  type: string;
  [field: string]: unknown;
}

/**
 * A Node child process with IPC, for what must not share the benchmark's process: app instances that
 * need their own event loop (timers) and a clean heap (RSS).
 */
export class Child {
  private readonly process: ChildProcess;
  private readonly listeners = new Set<(message: ChildMessage) => void>();
  private readonly exited: Promise<number | null>;
  /** The last message of each type. */
  readonly last = new Map<string, ChildMessage>();

  constructor(script: URL, env: Record<string, string>, execArgv: string[] = []) {
    this.process = fork(fileURLToPath(script), [], {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (message: ChildMessage) => {
      this.last.set(message.type, message);
      for (const listener of this.listeners) listener(message);
    });
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
    // A child that already disconnected cannot be told anything; that is not an error here.
    this.process.on('error', () => undefined);
  }

  send(message: ChildMessage): void {
    if (this.process.connected) this.process.send(message, () => undefined);
  }

  /** Calls `listener` with every later message of `type`; returns the unsubscribe. */
  on(type: string, listener: (message: ChildMessage) => void): () => void {
    const filtered = (message: ChildMessage) => {
      if (message.type === type) listener(message);
    };
    this.listeners.add(filtered);
    return () => this.listeners.delete(filtered);
  }

  /** Sends `{ type }` and resolves with the child's next answer of the same type (never a cached one). */
  request(type: string, timeoutMs: number): Promise<ChildMessage> {
    this.last.delete(type);
    const answer = this.next(type, timeoutMs);
    this.send({ type });
    return answer;
  }

  /** Resolves with the first message of `type` (or the last one already received). */
  next(type: string, timeoutMs: number): Promise<ChildMessage> {
    const seen = this.last.get(type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`child sent no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (message: ChildMessage) => {
        if (message.type !== type) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message);
      };
      this.listeners.add(listener);
      void this.exited.then((code) => {
        if (!this.listeners.has(listener)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        reject(new Error(`child exited (code ${code}) before sending "${type}"`));
      });
    });
  }

  /** Asks the child to stop, and kills it if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** In a child: sends a message to the parent. */
export function toParent(message: ChildMessage): void {
  process.send?.(message);
}

/**
 * In a child: answers every `resources` request of the parent with this process's CPU and query
 * counters (`sampleResources`), so the parent can add a child's cost to a level's.
 */
export function answerResourceRequests(): void {
  process.on('message', (message: ChildMessage) => {
    if (message.type === 'resources') toParent({ type: 'resources', ...sampleResources(undefined) });
  });
}

/** In a child: resolves when the parent sends `type`. */
export function fromParent(type: string): Promise<ChildMessage> {
  return new Promise((resolve) => {
    const listener = (message: ChildMessage) => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve(message);
    };
    process.on('message', listener);
  });
}
