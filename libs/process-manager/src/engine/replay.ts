import { routeFor, type ProcessDefinition } from '../definition/process-definition.js';
import { describeError } from '../kernel/describe-error.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { ProcessHistoryEntry, ProcessInstance } from '../kernel/process-instance.js';
import { decide, upgraded } from './process-engine.js';

/** What `verify()` found replaying one instance's history through the current code. */
export interface ReplayReport {
  processId: string;
  /** Every recorded step replayed to the same result. */
  ok: boolean;
  /** Steps replayed (up to and including a divergence). */
  steps: number;
  /** The first step whose replay differs from what was recorded. */
  divergence?: {
    seq: number;
    field: 'state' | 'stateName' | 'status' | 'commands';
    recorded: unknown;
    replayed: unknown;
  };
  /** Why the history could not be replayed to the end (`ok` is false, no divergence), or what threw. */
  reason?: string;
}

/** What a replay needs from the app: message names and the classes to rebuild recorded inputs with. */
export interface ReplayEnvironment {
  nameOf(message: object): string;
  rebuild(messageType: string, payload: unknown, metadata: MessageMetadata): object;
}

type Field = NonNullable<ReplayReport['divergence']>['field'];

/**
 * Re-runs the recorded inputs of `subject` from its initial state through the current handlers, with
 * each step's recorded clock and ids, and compares each result with the recorded one. Pure: the engine
 * decides, nothing is committed or dispatched. Recorded states are upgraded through the current
 * migrations before they are compared, so a history written by older versions verifies against the
 * code that would take it over. Operator and recovery rows (no input) are taken as recorded.
 */
export async function replay(
  process: ProcessDefinition,
  subject: ProcessInstance,
  history: readonly ProcessHistoryEntry[],
  env: ReplayEnvironment,
): Promise<ReplayReport> {
  const report = (steps: number, rest: Partial<ReplayReport> = {}): ReplayReport => ({
    processId: subject.id,
    ok: rest.divergence === undefined && rest.reason === undefined,
    steps,
    ...rest,
  });
  let instance: ProcessInstance | null = null;
  let steps = 0;
  for (const entry of history) {
    const where = `step ${entry.seq} (${entry.messageType})`;
    let recordedState: object | undefined;
    try {
      recordedState = entry.state && upgradedState(process, subject, entry);
    } catch (error) {
      return report(steps, {
        reason: `${where}: its recorded state cannot be upgraded: ${describeError(error)}`,
      });
    }
    if (!entry.input) {
      if (entry.outcome === 'handled' || entry.outcome === 'ignored' || instance === null) {
        const reason = `${where} was recorded without its input message (before 0.2), so it cannot be replayed`;
        return report(steps, { reason });
      }
      if (entry.outcome === 'repaired' && recordedState === undefined) {
        const reason = `${where} is an operator's repair recorded without the state it left, so replay cannot follow it`;
        return report(steps, { reason });
      }
      // An operator's or recovery's row: what it did is taken as recorded.
      const previous: ProcessInstance = instance;
      instance = {
        ...previous,
        status: entry.status,
        stateName: entry.toState,
        state: recordedState ?? previous.state,
        version: entry.seq,
      };
      continue;
    }
    const route = routeFor(process, entry.messageType);
    if (!route)
      return report(steps, { reason: `${where}: the process no longer handles ${entry.messageType}` });
    steps++;
    const { metadata } = entry.input;
    const isStart = instance === null;
    let ids = 0;
    let decision;
    try {
      const event = env.rebuild(entry.messageType, entry.input.payload, metadata);
      decision = await decide(
        { route, event, metadata, correlationKey: subject.correlationKey, instance },
        {
          now: () => new Date(entry.at.getTime()),
          // The instance's id first (a start creates it), then ids nothing compares (timer rows).
          newId: () => (ids++ === 0 && isStart ? subject.id : `${subject.id}:${entry.seq}:${ids}`),
          nameOf: (message) => env.nameOf(message),
        },
      );
    } catch (error) {
      return report(steps, {
        divergence: { seq: entry.seq, field: 'status', recorded: entry.status, replayed: 'threw' },
        reason: `${where} threw on replay: ${describeError(error)}`,
      });
    }
    const after = decision.instance;
    const compared: [Field, unknown, unknown][] = [
      ['status', entry.status, after.status],
      ['stateName', entry.toState, after.stateName],
      ['state', recordedState, recordedState === undefined ? undefined : after.state],
      ['commands', messages(entry.commands), messages(decision.history.commands)],
    ];
    for (const [field, recorded, replayed] of compared) {
      if (!sameJson(recorded, replayed))
        return report(steps, { divergence: { seq: entry.seq, field, recorded, replayed } });
    }
    instance = { ...after, version: entry.seq };
  }
  return report(steps);
}

function upgradedState(
  process: ProcessDefinition,
  subject: ProcessInstance,
  entry: ProcessHistoryEntry,
): object {
  return upgraded(process, { ...subject, state: entry.state!, stateVersion: entry.stateVersion ?? 1 }).state;
}

function messages(commands: ProcessHistoryEntry['commands']): { type: string; payload: unknown }[] {
  return commands.map(({ type, payload }) => ({ type, payload }));
}

/** Equal as JSON, whatever the order of object keys (jsonb does not keep it). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : item,
  );
}
