import { Injectable, type OnModuleInit } from '@nestjs/common';
import { messageTypeName } from '../decorators/message-type.decorator.js';
import {
  DuplicateProcessNameError,
  MissingCorrelationError,
  MissingStartHandlerError,
} from '../errors/index.js';
import type {
  DiscoveredHandler,
  ProcessDefinition,
  Route,
  StatefulRoute,
  StatelessRoute,
} from './process-definition.js';
import { ProcessDefinitionExplorer } from './process-definition.explorer.js';
import { MessageTypeRegistry } from '../messaging/message-type.registry.js';

/** Message type → routes, built and validated once at boot from the discovered `@OnEvent()`s; then immutable. */
@Injectable()
export class RoutingTable implements OnModuleInit {
  private routesByType: ReadonlyMap<string, readonly Route[]> = new Map();
  private processByName: ReadonlyMap<string, ProcessDefinition> = new Map();

  constructor(
    private readonly explorer: ProcessDefinitionExplorer,
    private readonly registry: MessageTypeRegistry,
  ) {}

  onModuleInit(): void {
    const handlers = this.explorer.explore();
    this.processByName = buildProcesses(handlers.filter((handler) => handler.manager));
    const stateless = handlers.filter((handler) => !handler.manager).flatMap(statelessRoutes);
    const routesByType = new Map<string, Route[]>();
    for (const route of [...this.processes.flatMap((process) => process.routes), ...stateless]) {
      routesByType.set(route.messageType, [...(routesByType.get(route.messageType) ?? []), route]);
    }
    this.routesByType = routesByType;
    for (const handler of handlers) handler.events.forEach((event) => this.registry.register(event));
  }

  routesFor(messageType: string): readonly Route[] {
    return this.routesByType.get(messageType) ?? [];
  }

  handles(messageType: string): boolean {
    return this.routesByType.has(messageType);
  }

  process(name: string): ProcessDefinition | undefined {
    return this.processByName.get(name);
  }

  get processes(): ProcessDefinition[] {
    return [...this.processByName.values()];
  }
}

function buildProcesses(handlers: DiscoveredHandler[]): Map<string, ProcessDefinition> {
  const byClass = new Map<object, DiscoveredHandler[]>();
  for (const handler of handlers)
    byClass.set(handler.instance, [...(byClass.get(handler.instance) ?? []), handler]);
  const processes = new Map<string, ProcessDefinition>();
  for (const [instance, classHandlers] of byClass) {
    const manager = classHandlers[0]!.manager!;
    const className = instance.constructor.name;
    const name = manager.name ?? className;
    const existing = processes.get(name);
    if (existing) throw new DuplicateProcessNameError(name, [existing.className, className]);
    const routes: StatefulRoute[] = [];
    const definition: ProcessDefinition = {
      name,
      className,
      correlationKey: manager.correlationKey,
      initialState: manager.initialState ?? (() => ({})),
      routes,
    };
    routes.push(...classHandlers.flatMap((handler) => statefulRoutes(definition, handler)));
    if (!routes.some((route) => route.start)) throw new MissingStartHandlerError(name);
    processes.set(name, definition);
  }
  return processes;
}

function statefulRoutes(process: ProcessDefinition, handler: DiscoveredHandler): StatefulRoute[] {
  const { correlate, from, to, start = false, onMissing = 'ignore' } = handler.options;
  const key = typeof correlate === 'string' ? correlate : process.correlationKey;
  if (typeof correlate !== 'function' && !key)
    throw new MissingCorrelationError(process.name, handler.methodName);
  const method = (handler.instance as Record<string, Function>)[handler.methodName]!;
  return handler.events.map((event) => ({
    kind: 'stateful',
    process,
    messageType: messageTypeName(event),
    methodName: handler.methodName,
    start,
    from: from === undefined ? undefined : [from].flat(),
    to,
    onMissing,
    correlateBy: typeof correlate === 'function' ? 'correlate()' : key!,
    associationKey:
      typeof correlate === 'string' && correlate !== process.correlationKey ? correlate : undefined,
    correlate:
      typeof correlate === 'function'
        ? correlate
        : (message: object) => (message as Record<string, unknown>)[key!],
    invoke: (message, ctx) => method.call(handler.instance, message, ctx),
  }));
}

function statelessRoutes(handler: DiscoveredHandler): StatelessRoute[] {
  const method = (handler.instance as Record<string, Function>)[handler.methodName]!;
  return handler.events.map((event) => ({
    kind: 'stateless',
    name: `${handler.className}.${handler.methodName}`,
    messageType: messageTypeName(event),
    invoke: (message) => method.call(handler.instance, message),
  }));
}
