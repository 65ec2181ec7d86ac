import { createHash } from 'node:crypto';
import { FAILURE_KEY_LENGTHS } from '../ports/failure-store.js';

/**
 * The failure record of a delivery repeats the very input that made the step fail, so it must be
 * written whatever that input is: text without NUL or lone surrogates (PostgreSQL refuses the first in
 * text and both in jsonb, and the UTF-8 encoder silently turns a lone surrogate into U+FFFD), keys no
 * longer than their columns, plain JSON. Each change made to get there is listed, by path.
 */

// With the u flag a surrogate pair is one code point, so the range matches lone surrogates only.
// eslint-disable-next-line no-control-regex -- NUL is one of the characters looked for
const UNSTORABLE_CHARS = /[\u0000\ud800-\udfff]/gu;
const UNSTORABLE_TEST = new RegExp(UNSTORABLE_CHARS.source, 'u');

/** Objects nested deeper than this are cut (the database's JSON parser has a stack limit too). */
const MAX_DEPTH = 1_000;

/** Hex digits of the hash that keeps a shortened key distinct from every other. */
const HASH_LENGTH = 16;

/** NUL and lone surrogates written out as `\u0000`-style escapes; any other text is returned as is. */
export function escapeText(text: string): string {
  return text.replace(UNSTORABLE_CHARS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isStorableText(text: string): boolean {
  return !UNSTORABLE_TEST.test(text);
}

/**
 * A value for a key column (`handler`, `message_id`, …): itself when it is storable and fits, otherwise
 * its escaped text cut to fit and suffixed with `#` and a hash of the original — the same input always
 * gives the same key (attempts and dedupe keep working) and two inputs never share one.
 */
export function storableKey(value: string, maxLength: number): string {
  if (value.length <= maxLength && isStorableText(value)) return value;
  const hash = createHash('sha256').update(value, 'utf16le').digest('hex').slice(0, HASH_LENGTH);
  let prefix = escapeText(value).slice(0, maxLength - HASH_LENGTH - 1);
  if (/[\ud800-\udbff]$/u.test(prefix)) prefix = prefix.slice(0, -1); // never cut a pair in two
  return `${prefix}#${hash}`;
}

/** What a key had to become to be stored, as a note for the dead letter; undefined when unchanged. */
function keyAlteration(name: string, value: string, stored: string, maxLength: number): string | undefined {
  if (stored === value) return undefined;
  const reasons = [
    ...(isStorableText(value) ? [] : ['contains NUL or a lone surrogate']),
    ...(value.length > maxLength ? [`is longer than ${maxLength} characters`] : []),
  ];
  return `${name} ${reasons.join(' and ')} (stored as "${stored}")`;
}

/**
 * `value` as plain JSON that any store accepts, the way `JSON.stringify` would see it (toJSON honoured,
 * functions and undefined left out), where it would throw or be refused: strings and keys escaped,
 * BigInts as the string `'<digits>n'`, cycles and over-deep nesting replaced by a marker string, a
 * throwing getter or toJSON by its error. Each such change is added to `alterations`.
 */
export function storableJson(value: unknown, path: string, alterations: string[]): unknown {
  return toJson(value, path, '', alterations, new Set(), 0);
}

function toJson(
  input: unknown,
  path: string,
  key: string,
  alterations: string[],
  ancestors: Set<object>,
  depth: number,
): unknown {
  let value = input;
  try {
    const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (key: string) => unknown).call(value, key);
  } catch (error) {
    alterations.push(`${path}.toJSON() threw (${errorSummary(error)})`);
    return `[toJSON threw: ${escapeText(errorSummary(error))}]`;
  }
  switch (typeof value) {
    case 'string':
      if (isStorableText(value)) return value;
      alterations.push(`${path} contains NUL or a lone surrogate (escaped)`);
      return escapeText(value);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      alterations.push(`${path} is a BigInt (stored as the string "${value}n")`);
      return `${value}n`;
    case 'object':
      break;
    default:
      return undefined; // function, symbol, undefined: JSON leaves them out
  }
  if (value === null) return null;
  if (ancestors.has(value)) {
    alterations.push(`${path} refers back to an enclosing object (a cycle, cut)`);
    return '[Circular]';
  }
  if (depth >= MAX_DEPTH) {
    alterations.push(`${path} is nested deeper than ${MAX_DEPTH} levels (cut)`);
    return '[Too deep]';
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return Array.from({ length: value.length }, (_, index) => {
        const item = readProperty(value as unknown[], String(index), `${path}[${index}]`, alterations);
        const json = toJson(item, `${path}[${index}]`, String(index), alterations, ancestors, depth + 1);
        return json === undefined ? null : json;
      });
    }
    const json: Record<string, unknown> = {};
    for (const name of Object.keys(value)) {
      const itemPath = `${path}.${escapeText(name)}`;
      const item = readProperty(value as Record<string, unknown>, name, itemPath, alterations);
      const itemJson = toJson(item, itemPath, name, alterations, ancestors, depth + 1);
      if (itemJson === undefined) continue;
      const storedName = isStorableText(name) ? name : escapeText(name);
      if (storedName !== name) alterations.push(`${path} has a key with NUL or a lone surrogate (escaped)`);
      // defineProperty: a "__proto__" key stays a key instead of replacing the prototype.
      Object.defineProperty(json, storedName, {
        value: itemJson,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return json;
  } finally {
    ancestors.delete(value);
  }
}

function readProperty(
  target: Record<string, unknown> | unknown[],
  name: string,
  path: string,
  alterations: string[],
): unknown {
  try {
    return (target as Record<string, unknown>)[name];
  } catch (error) {
    alterations.push(`${path} threw when read (${errorSummary(error)})`);
    return `[Unreadable: ${escapeText(errorSummary(error))}]`;
  }
}

function errorSummary(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The lookup keys of a failure record, as the store keeps them. */
export interface StorableKeys {
  handler: string;
  messageType: string;
  messageId: string;
  correlationKey: string | undefined;
}

/** Keys shortened or escaped to fit their columns; `alterations` gets a note for each one changed. */
export function storableKeys(keys: StorableKeys, alterations: string[]): StorableKeys {
  const key = (name: keyof typeof FAILURE_KEY_LENGTHS, value: string) => {
    const stored = storableKey(value, FAILURE_KEY_LENGTHS[name]);
    const note = keyAlteration(name, value, stored, FAILURE_KEY_LENGTHS[name]);
    if (note) alterations.push(note);
    return stored;
  };
  return {
    handler: key('handler', keys.handler),
    messageType: key('messageType', keys.messageType),
    messageId: key('messageId', keys.messageId),
    correlationKey:
      keys.correlationKey === undefined ? undefined : key('correlationKey', keys.correlationKey),
  };
}
