import type { ProcessInstance } from '../kernel/process-instance.js';

/**
 * The last committed version of recently active instances, by `instanceKey` (type, correlation key),
 * so that the common case — this app handled the instance's previous delivery too — skips the load
 * query. It is only a guess: the commit's version check and inbox key reject a stale or duplicate step,
 * and the runner then re-loads from the database. Writes that move no version (a dead letter's
 * `lastError` mark and its clearing) must `forget` the instance, or a step from the cache would write
 * the stale column back. Bounded (least recently used out); ended instances leave at once.
 */
export class InstanceCache {
  private readonly entries = new Map<string, ProcessInstance>();
  private readonly keysById = new Map<string, string>();

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
    this.delete(key);
    this.entries.set(key, instance);
    this.keysById.set(instance.id, key);
    if (this.entries.size > this.capacity) this.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    const instance = this.entries.get(key);
    if (instance && this.keysById.get(instance.id) === key) this.keysById.delete(instance.id);
    this.entries.delete(key);
  }

  /** Drops the instance with this id, whatever its key. */
  forget(processId: string): void {
    const key = this.keysById.get(processId);
    if (key !== undefined) this.delete(key);
  }
}
