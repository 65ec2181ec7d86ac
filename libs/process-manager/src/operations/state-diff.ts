/** One changed place of a state: its path (`items.0.sku`), the value before and after (absent: none). */
export interface StateChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What an edit changed, object field by object field (arrays and other values compared whole), for the
 * history row of `editState`: small however big the state is. Keys in sorted order (jsonb keeps its own).
 */
export function stateDiff(before: unknown, after: unknown, path = ''): StateChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const at = path ? `${path}.${key}` : key;
      if (!(key in after)) return [{ path: at, from: before[key] }];
      if (!(key in before)) return [{ path: at, to: after[key] }];
      return stateDiff(before[key], after[key], at);
    });
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [{ path: path || '.', from: before, to: after }];
}
