type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls `condition` until it returns a truthy value (and returns it); fails with `description` after `timeoutMs`. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  description: string,
  timeoutMs = 10_000,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await condition();
    if (last) return last as Truthy<T>;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${description} (last value: ${JSON.stringify(last)})`,
  );
}
