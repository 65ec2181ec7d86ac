import type { ProcessInstance } from '../kernel/process-instance.js';

/**
 * The last committed version of recently active instances, by (type, correlation key), so that the
 * common case — this app handled the instance's previous event too — skips the load query. It is only
 * a guess: the commit's version check and inbox key reject a stale or duplicate step, and the runner
 * then re-loads from the database. Bounded (least recently used out); ended instances leave at once.
 */
export class InstanceCache {
  private readonly entries = new Map<string, ProcessInstance>();

  constructor(private readonly capacity = 10_000) {}

  get(key: string): ProcessInstance | undefined {
    const instance = this.entries.get(key);
    if (instance) {
      this.entries.delete(key);
      this.entries.set(key, instance);
    }
    return instance;
  }

  set(key: string, instance: ProcessInstance): void {
    this.entries.delete(key);
    this.entries.set(key, instance);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
