import { messageTypeName } from '../kernel/message-type.js';
import type { StateTransition } from '../definition/process-definition.js';
import type { SagaProgram } from './saga-program.js';

/**
 * A saga's state machine as the interpreter walks it: the steps in order, and on a failure the
 * compensable steps before it in reverse (or one `compensating` state when they run in parallel),
 * ending `completed`, `compensated` or `compensation_failed`; a cancel event undoes the steps done so
 * far and ends `cancelled`. A routing slip's steps may follow one another in any order: a note says so.
 */
export function sagaTransitions(
  program: SagaProgram<object>,
  startTypes: readonly string[],
): StateTransition[] {
  const { steps, parallelCompensation: parallel, continueOnCompensationFailure: goOn } = program;
  const names = (types: readonly Function[]) => types.map((type) => messageTypeName(type)).join(' / ');
  const compensating = (name: string) => (parallel ? 'compensating' : `${name}:compensating`);
  /** Where undoing starts when the steps before `index` are undone: the last compensable one. */
  const undoFrom = (index: number) => {
    const previous = steps
      .slice(0, index)
      .reverse()
      .find((step) => step.compensation);
    return previous ? compensating(previous.name) : 'compensated';
  };
  const transitions: StateTransition[] = [{ from: '[*]', to: steps[0]!.name, label: startTypes.join(' / ') }];
  for (const step of steps) {
    const next = steps[step.index + 1]?.name ?? 'completed';
    transitions.push({ from: step.name, to: next, label: names(step.action.success) });
    const undoSelf = step.compensation ? step.compensateFailed : undefined;
    const failures = [
      { label: names(step.action.failure), undone: undoSelf === 'always' },
      { label: step.action.timeoutMs ? 'timeout' : '', undone: undoSelf !== undefined },
    ].filter(({ label }) => label);
    for (const undone of [false, true]) {
      const label = failures
        .filter((failure) => failure.undone === undone)
        .map((failure) => failure.label)
        .join(' / ');
      const to = undone ? compensating(step.name) : undoFrom(step.index);
      if (label) transitions.push({ from: step.name, to, label });
    }
    if (step.compensation && !parallel) {
      const done = names(step.compensation.success) || 'sent';
      const before = undoFrom(step.index);
      transitions.push({ from: compensating(step.name), to: before, label: done });
      const onFailure = goOn && before !== 'compensated' ? before : 'compensation_failed';
      transitions.push({
        from: compensating(step.name),
        to: onFailure,
        label: goOn ? 'fails, goes on' : 'fails',
      });
      if (goOn && before === 'compensated')
        transitions.push({
          from: compensating(step.name),
          to: 'compensation_failed',
          label: 'after a failure',
        });
    }
  }
  if (parallel && steps.some((step) => step.compensation)) {
    transitions.push({ from: 'compensating', to: 'compensated', label: 'all undone' });
    transitions.push({ from: 'compensating', to: 'compensation_failed', label: 'one fails' });
  }
  // A cancel (a cancelOn event, or an operator's cancel()) lets the step in flight finish, then undoes
  // it too, and ends `cancelled`.
  const cancel = [names(program.cancelOn), 'cancel()'].filter(Boolean).join(' / ');
  for (const step of steps) {
    const undo = undoFrom(step.index + 1);
    transitions.push({ from: step.name, to: undo === 'compensated' ? 'cancelled' : undo, label: cancel });
  }
  const first = steps.find((step) => step.compensation);
  if (first) transitions.push({ from: compensating(first.name), to: 'cancelled', label: `after ${cancel}` });
  if (program.routingSlip) {
    for (const step of steps) transitions.push({ from: '*', to: step.name, label: 'next on its itinerary' });
  }
  return transitions;
}
