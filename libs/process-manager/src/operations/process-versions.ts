import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import type { ProcessDefinition } from '../definition/process-definition.js';
import { RoutingTable } from '../definition/routing-table.js';
import { replay, type ReplayReport } from '../engine/replay.js';
import { ProcessNotFoundError, UnknownProcessTypeError } from '../errors/index.js';
import { describeError } from '../kernel/describe-error.js';
import { ProcessQueries } from '../ports/process-queries.js';

/** Live instances resting in a named state that no handler of their process runs in any more. */
export interface OrphanedState {
  type: string;
  stateName: string;
  count: number;
}

/**
 * What a deploy changed for the instances already running: replay verification of their histories
 * through the current code, and the named states the current definitions left without a handler.
 */
@Injectable()
export class ProcessVersions implements OnApplicationBootstrap {
  private readonly logger = new Logger(ProcessVersions.name);

  constructor(
    private readonly queries: ProcessQueries,
    private readonly routes: RoutingTable,
    private readonly registry: MessageTypeRegistry,
  ) {}

  /** One warn line at boot when some live instances wait in a state nothing handles; never fails boot. */
  async onApplicationBootstrap(): Promise<void> {
    try {
      const orphaned = await this.orphanedStates();
      if (orphaned.length === 0) return;
      const list = orphaned.map(({ type, stateName, count }) => `${type}/${stateName}: ${count}`).join(', ');
      this.logger.warn(
        `Live instances rest in states no handler runs in any more (they would wait forever): ${list}. ` +
          `Add a handler with from: including the state, or repair them (ProcessManagerService.orphanedStates()).`,
      );
    } catch (error) {
      this.logger.warn(`Could not look for orphaned states: ${describeError(error)}`);
    }
  }

  async orphanedStates(): Promise<OrphanedState[]> {
    const counts = await this.queries.countLiveByState();
    return counts.filter(({ type, stateName }) => {
      const process = this.routes.process(type);
      return process !== undefined && !handlesState(process, stateName);
    });
  }

  async verify(processId: string): Promise<ReplayReport> {
    const instance = await this.queries.get(processId);
    if (!instance) throw new ProcessNotFoundError(processId);
    const process = this.routes.process(instance.type);
    if (!process) throw new UnknownProcessTypeError(instance.type);
    const history = await this.queries.history(processId);
    return replay(process, instance, history, {
      nameOf: (message) => this.registry.nameOf(message),
      rebuild: (type, payload, metadata) => this.registry.fromPayload(type, payload, metadata),
    });
  }

  /** The newest `limit` instances of `type` (any status), each verified. */
  async verifyAll(query: { type: string; limit?: number }): Promise<ReplayReport[]> {
    if (!this.routes.process(query.type)) throw new UnknownProcessTypeError(query.type);
    const { items } = await this.queries.list({ type: query.type, limit: query.limit ?? 100, state: false });
    const reports: ReplayReport[] = [];
    for (const item of items) reports.push(await this.verify(item.id));
    return reports;
  }
}

/** A non-start handler runs in the state (its `from` names it, or it has no `from`). */
function handlesState(process: ProcessDefinition, stateName: string): boolean {
  return process.routes.some((route) => !route.start && (!route.from || route.from.includes(stateName)));
}
