import { Injectable } from '@nestjs/common';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { RoutingTable } from '../definition/routing-table.js';
import type { ClaimScope } from '../ports/records.js';

/**
 * This app's `ClaimScope`, read from the routing table once it is built: exactly the timers and
 * retries the runner has a route for (`RoutingTable.routeTo` / `statelessRoute`), and the outbox rows
 * it can rebuild and that no other service's process wrote.
 */
@Injectable()
export class ClaimScopes {
  private scope: ClaimScope | undefined;

  constructor(
    private readonly routes: RoutingTable,
    private readonly registry: MessageTypeRegistry,
  ) {}

  get current(): ClaimScope {
    return (this.scope ??= this.build());
  }

  private build(): ClaimScope {
    const processes = this.routes.processes;
    const stateful = processes.flatMap((process) =>
      [...process.routes, ...process.systemRoutes].map((route) => ({
        handler: process.name,
        messageType: route.messageType,
      })),
    );
    const stateless = this.routes.statelessRoutes.map((route) => ({
      handler: route.name,
      messageType: route.messageType,
    }));
    return {
      processTypes: processes.map((process) => process.name),
      routes: [...stateful, ...stateless],
      messageTypes: this.registry.knownTypes(),
    };
  }
}
