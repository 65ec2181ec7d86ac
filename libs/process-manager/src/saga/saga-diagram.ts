import { messageTypeName } from '../kernel/message-type.js';
import type { StateTransition } from '../definition/process-definition.js';
import type { SagaProgram } from './saga-program.js';

/**
 * A saga's state machine as the interpreter walks it: the steps in order, and on a failure the
 * compensable steps before it in reverse, ending `completed`, `compensated` or `compensation_failed`;
 * a cancel event undoes the steps done so far and ends `cancelled`.
 */
export function sagaTransitions(
  program: SagaProgram<object>,
  startTypes: readonly string[],
): StateTransition[] {
  const { steps } = program;
  const names = (types: readonly Function[]) => types.map((type) => messageTypeName(type)).join(' / ');
  const compensating = (name: string) => `${name}:compensating`;
  /** Where undoing starts when step `index` fails: the last compensable step before it. */
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
    const failure = [names(step.action.failure), step.action.timeoutMs ? 'timeout' : '']
      .filter(Boolean)
      .join(' / ');
    if (failure) transitions.push({ from: step.name, to: undoFrom(step.index), label: failure });
    if (step.compensation) {
      const done = names(step.compensation.success) || 'sent';
      transitions.push({ from: compensating(step.name), to: undoFrom(step.index), label: done });
      transitions.push({ from: compensating(step.name), to: 'compensation_failed', label: 'fails' });
    }
  }
  if (program.cancelOn.length > 0) {
    // A cancel lets the step in flight finish, then undoes it too, and ends `cancelled`.
    const cancel = names(program.cancelOn);
    for (const step of steps) {
      const undo = undoFrom(step.index + 1);
      transitions.push({ from: step.name, to: undo === 'compensated' ? 'cancelled' : undo, label: cancel });
    }
    const first = steps.find((step) => step.compensation);
    if (first)
      transitions.push({ from: compensating(first.name), to: 'cancelled', label: `after ${cancel}` });
  }
  return transitions;
}
