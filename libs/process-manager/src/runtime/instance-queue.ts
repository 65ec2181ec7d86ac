/**
 * Serialises work per instance inside one app (keyed by `instanceKey`): events, timers, retries,
 * operator actions and stall reports for one instance run one after another, so that
 * optimistic-concurrency conflicts only happen between app instances.
 */
export class InstanceQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
