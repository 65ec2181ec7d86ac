import type { ProcessDefinition } from '../definition/process-definition.js';

/**
 * Mermaid `stateDiagram-v2` of a process's named states (see `ProcessDefinition.transitions`).
 * States whose names are not Mermaid identifiers are declared with their real name
 * (`state "reserve:compensating" as reserve_compensating`). Transitions a handler makes in code with
 * `ctx.transitionTo()` are not declared anywhere, so they cannot be drawn.
 */
export function stateDiagram(process: ProcessDefinition): string {
  const declarations = new Set<string>();
  const id = (state: string) => {
    if (state === '[*]') return state;
    const safe = state.replace(/[^A-Za-z0-9_]/g, '_');
    if (safe !== state) declarations.add(`  state "${state}" as ${safe}`);
    return safe;
  };
  const lines = process.transitions.map(({ from, to, label }) =>
    from === '*'
      ? `  note right of ${id(to)} : ${label} from any state`
      : `  ${id(from)} --> ${id(to)}${label ? ` : ${label}` : ''}`,
  );
  return ['stateDiagram-v2', ...declarations, ...new Set(lines)].join('\n');
}
