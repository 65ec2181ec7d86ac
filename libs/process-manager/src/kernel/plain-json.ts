import { textProblem } from './text-rules.js';

/** Deeper than this is refused: every later stage (clone, driver, JSON.parse) stays far from its stack limit. */
export const MAX_JSON_DEPTH = 1_000;

/** Why a value is not plain JSON: where (`state.lines[2]`) and what it is. */
export class NotPlainJson {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {}

  toString(): string {
    return `${this.path} ${this.problem}`;
  }
}

/**
 * A copy of `value` that PostgreSQL's jsonb stores and gives back equal, built in one walk; or the
 * first reason it cannot be, with its path under `root`. Refused: what JSON would drop or change —
 * NaN and ±Infinity, BigInts, functions, symbols, `undefined` in an array, Dates, Maps, Sets and other
 * class instances, symbol keys, cycles — and what PostgreSQL rejects or rewrites: NUL characters and
 * lone surrogates, in values and keys. Accepted with a change that keeps the value equal: a property
 * whose value is `undefined` is left out (as JSON does), `-0` becomes `0`. `__proto__` stays an own key.
 * @param root how the path starts, e.g. `'state'` or `'ChargeCard'`
 * @param instance accept a class instance at the top (a message: its own enumerable fields are the payload)
 */
export function toPlainJson(
  value: unknown,
  root: string,
  instance = false,
): { json: unknown; refused?: undefined } | { json?: undefined; refused: NotPlainJson } {
  const walk = new Walk(root);
  try {
    if (instance && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const toJson = (value as { toJSON?: unknown }).toJSON;
      return {
        json:
          typeof toJson === 'function'
            ? walk.value(toJson.call(value), 0)
            : walk.fields(value as Record<string, unknown>, 0),
      };
    }
    return { json: walk.value(value, 0) };
  } catch (error) {
    if (error instanceof NotPlainJson) return { refused: error };
    throw error;
  }
}

/**
 * A deep copy of a stored state, which is plain JSON (checked by `toPlainJson` when written): a few
 * times faster than `structuredClone`, which it falls back to for anything else it meets.
 */
export function clonePlainJson<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_JSON_DEPTH) return structuredClone(value);
  if (Array.isArray(value)) {
    if (!Array.isArray(Object.getPrototypeOf(value))) return structuredClone(value);
    const copy: unknown[] = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = clonePlainJson(value[index], depth + 1);
    return copy as T;
  }
  if (!isPlainObject(value)) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = clonePlainJson((value as Record<string, unknown>)[key], depth + 1);
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: field,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = field;
    }
  }
  return copy as T;
}

/**
 * An object literal, `JSON.parse` output or `Object.create(null)`: its prototype is null or an
 * `Object.prototype` — of any realm (structuredClone and vm contexts hand out objects of another one).
 */
export function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

class Walk {
  /** Keys from the root to the value being copied; turned into a path only when something is refused. */
  private readonly keys: (string | number)[] = [];
  /** Objects from the root down, to tell a cycle from mere depth. */
  private readonly ancestors: object[] = [];

  constructor(private readonly root: string) {}

  value(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string': {
        const problem = textProblem(value);
        if (problem) throw this.refuse(problem);
        return value;
      }
      case 'number':
        if (!Number.isFinite(value)) throw this.refuse(`is ${value} (JSON has no ${value})`);
        return value === 0 ? 0 : value;
      case 'boolean':
        return value;
      case 'object':
        if (value === null) return null;
        return Array.isArray(value) ? this.array(value, depth) : this.object(value, depth);
      case 'bigint':
        throw this.refuse('is a BigInt (store it as a string)');
      case 'undefined':
        throw this.refuse('is undefined (JSON would store null)');
      default:
        throw this.refuse(`is a ${typeof value}`);
    }
  }

  private array(array: unknown[], depth: number): unknown[] {
    // Any realm's Array.prototype is itself an array; a subclass's prototype is not.
    if (!Array.isArray(Object.getPrototypeOf(array))) throw this.refuse(`is ${kindOf(array)}`);
    this.enter(array, depth);
    const copy: unknown[] = new Array<unknown>(array.length);
    for (let index = 0; index < array.length; index++) {
      this.keys.push(index);
      copy[index] = this.value(array[index], depth + 1);
      this.keys.pop();
    }
    this.ancestors.pop();
    return copy;
  }

  private object(object: object, depth: number): Record<string, unknown> {
    if (!isPlainObject(object)) throw this.refuse(`is ${kindOf(object)}`);
    return this.fields(object as Record<string, unknown>, depth);
  }

  /** The own enumerable string-keyed fields of an object (plain, or a message instance at the top). */
  fields(object: Record<string, unknown>, depth: number): Record<string, unknown> {
    this.enter(object, depth);
    for (const symbol of Object.getOwnPropertySymbols(object)) {
      if (Object.prototype.propertyIsEnumerable.call(object, symbol)) {
        throw this.refuse(`has the symbol key ${String(symbol)} (JSON drops it)`);
      }
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const field = object[key];
      if (field === undefined) continue;
      this.keys.push(key);
      const problem = textProblem(key);
      if (problem) throw this.refuse(`is a key that ${problem}`);
      const value = this.value(field, depth + 1);
      if (key === '__proto__') {
        Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        copy[key] = value;
      }
      this.keys.pop();
    }
    this.ancestors.pop();
    return copy;
  }

  private enter(object: object, depth: number): void {
    if (depth >= MAX_JSON_DEPTH) throw this.tooDeep(object);
    this.ancestors.push(object);
  }

  /** A cycle only shows as depth, so it is told apart here, where the walk gives up. */
  private tooDeep(object: object): NotPlainJson {
    const seen = new Map<object, number>();
    for (const [index, ancestor] of [...this.ancestors, object].entries()) {
      const first = seen.get(ancestor);
      if (first !== undefined) {
        const to = this.path(this.keys.slice(0, first));
        return new NotPlainJson(this.path(this.keys.slice(0, index)), `is a circular reference (to ${to})`);
      }
      seen.set(ancestor, index);
    }
    return new NotPlainJson(this.path(this.keys), `nests deeper than ${MAX_JSON_DEPTH} levels`);
  }

  private refuse(problem: string): NotPlainJson {
    return new NotPlainJson(this.path(this.keys), problem);
  }

  private path(keys: readonly (string | number)[]): string {
    let path = this.root;
    const shown = keys.length > 12 ? [...keys.slice(0, 6), undefined, ...keys.slice(-4)] : keys;
    for (const key of shown) {
      if (key === undefined) path += `…(${keys.length - 10} more levels)…`;
      else if (typeof key === 'number') path += `[${key}]`;
      else if (/^[A-Za-z_$][\w$]*$/.test(key) && key.length <= 60) path += `.${key}`;
      else path += `[${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key)}]`;
    }
    return path;
  }
}

function kindOf(value: object): string {
  if (value instanceof Date) return 'a Date (store date.toISOString())';
  if (value instanceof Map) return 'a Map (store an object or an array of entries)';
  if (value instanceof Set) return 'a Set (store an array)';
  if (ArrayBuffer.isView(value)) return 'a binary array (store a string or an array of numbers)';
  const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } }).constructor
    ?.name;
  if (typeof name !== 'string' || name === '' || name === 'Object') {
    return 'an object with a prototype of its own (store a plain object)';
  }
  const article = /^[AEIOU]/.test(name) ? 'an' : 'a';
  return `${article} ${name} instance (JSON keeps its fields, not its class: store a plain object)`;
}
