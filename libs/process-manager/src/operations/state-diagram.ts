import type { ProcessDefinition } from '../definition/process-definition.js';

/**
 * Mermaid `stateDiagram-v2` of a process from the `from`/`to` of its handlers. States whose names are
 * not Mermaid identifiers are declared with their real name (`state "charging-card" as charging_card`).
 * Transitions made in code with `ctx.transitionTo()` are invisible to it.
 */
export function stateDiagram(process: ProcessDefinition): string {
  const declarations = new Set<string>();
  const transitions = new Set<string>();
  const id = (state: string) => {
    const safe = state.replace(/[^A-Za-z0-9_]/g, '_');
    if (safe !== state) declarations.add(`  state "${state}" as ${safe}`);
    return safe;
  };
  for (const route of process.routes) {
    if (route.to === undefined) continue;
    const to = id(route.to);
    if (route.start) transitions.add(`  [*] --> ${to} : ${route.messageType}`);
    for (const from of route.from ?? []) transitions.add(`  ${id(from)} --> ${to} : ${route.messageType}`);
    if (!route.start && route.from === undefined)
      transitions.add(`  note right of ${to} : ${route.messageType} from any state`);
  }
  return ['stateDiagram-v2', ...declarations, ...transitions].join('\n');
}
