import type { ProcessDefinition } from '../definition/process-definition.js';

/** Mermaid `stateDiagram-v2` of a process from the `from`/`to` of its handlers. */
export function stateDiagram(process: ProcessDefinition): string {
  const lines = new Set<string>();
  const id = (state: string) => state.replace(/[^A-Za-z0-9_]/g, '_');
  for (const route of process.routes) {
    if (route.to === undefined) continue;
    const sources = route.from ?? (route.start ? [] : undefined);
    if (route.start) lines.add(`  [*] --> ${id(route.to)} : ${route.messageType}`);
    for (const from of sources ?? []) lines.add(`  ${id(from)} --> ${id(route.to)} : ${route.messageType}`);
    if (sources === undefined)
      lines.add(`  note right of ${id(route.to)} : ${route.messageType} from any state`);
  }
  return ['stateDiagram-v2', ...lines].join('\n');
}
