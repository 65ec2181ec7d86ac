import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { messageTypeName } from '../kernel/message-type.js';
import type { ProcessManagerOptions } from '../decorators/process-manager.decorator.js';
import { parseDuration } from '../kernel/duration.js';
import type { ProcessContext } from '../kernel/process-context.js';
import {
  DuplicateProcessNameError,
  InvalidProcessVersionError,
  MissingCorrelationError,
  MissingStartHandlerError,
} from '../errors/index.js';
import { LIFECYCLE_EVENTS } from '../events/process-lifecycle.events.js';
import { CommandDispatchFailed, ProcessTimedOut, SYSTEM_MESSAGES } from '../events/system-messages.js';
import { MessageTypeRegistry } from './message-type.registry.js';
import {
  type DiscoveredHandler,
  type ProcessDefinition,
  type Route,
  routeFor,
  type StatefulRoute,
  type StateTransition,
  type StatelessRoute,
} from './process-definition.js';
import { PROCESS_COMPILERS, type ProcessCompiler } from './process-compiler.js';
import { ProcessDefinitionExplorer } from './process-definition.explorer.js';

/** Message type → routes, built and validated once at boot from the discovered `@OnEvent()`s; then immutable. */
@Injectable()
export class RoutingTable implements OnModuleInit {
  private routesByType: ReadonlyMap<string, readonly Route[]> = new Map();
  private processByName: ReadonlyMap<string, ProcessDefinition> = new Map();

  constructor(
    private readonly explorer: ProcessDefinitionExplorer,
    private readonly registry: MessageTypeRegistry,
    @Inject(PROCESS_COMPILERS) private readonly compilers: readonly ProcessCompiler[],
  ) {}

  onModuleInit(): void {
    const handlers = this.explorer.explore();
    this.processByName = buildProcesses(
      handlers.filter((handler) => handler.manager),
      this.registry,
      this.compilers,
    );
    const stateless = handlers
      .filter((handler) => !handler.manager)
      .flatMap((handler) => statelessRoutes(handler, this.compilers));
    const routesByType = new Map<string, Route[]>();
    for (const route of [...this.processes.flatMap((process) => process.routes), ...stateless]) {
      routesByType.set(route.messageType, [...(routesByType.get(route.messageType) ?? []), route]);
    }
    this.routesByType = routesByType;
    for (const handler of handlers) handler.events.forEach((event) => this.registry.register(event));
    for (const message of [...SYSTEM_MESSAGES, ...LIFECYCLE_EVENTS]) this.registry.register(message);
  }

  /** Routes of a message published on the EventBus. */
  routesFor(messageType: string): readonly Route[] {
    return this.routesByType.get(messageType) ?? [];
  }

  handles(messageType: string): boolean {
    return this.routesByType.has(messageType);
  }

  /** The handler of `messageType` in process `name` (its own or built-in), for deliveries by id. */
  routeTo(name: string, messageType: string): StatefulRoute | undefined {
    const process = this.processByName.get(name);
    return process && routeFor(process, messageType);
  }

  /** The stateless handler `name` (`Class.method`) of `messageType`. */
  statelessRoute(name: string, messageType: string): StatelessRoute | undefined {
    return this.routesFor(messageType).find(
      (route): route is StatelessRoute => route.kind === 'stateless' && route.name === name,
    );
  }

  process(name: string): ProcessDefinition | undefined {
    return this.processByName.get(name);
  }

  get processes(): ProcessDefinition[] {
    return [...this.processByName.values()];
  }

  /** Every stateless `@OnEvent()` route of the app. */
  get statelessRoutes(): StatelessRoute[] {
    return [...this.routesByType.values()]
      .flat()
      .filter((route): route is StatelessRoute => route.kind === 'stateless');
  }
}

function buildProcesses(
  handlers: DiscoveredHandler[],
  registry: MessageTypeRegistry,
  compilers: readonly ProcessCompiler[],
): Map<string, ProcessDefinition> {
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
    const systemRoutes: StatefulRoute[] = [];
    const transitions: StateTransition[] = [];
    const definition: ProcessDefinition = {
      name,
      className,
      correlationKey: manager.correlationKey,
      initialState: manager.initialState ?? (() => ({})),
      ...checkedVersion(name, manager),
      routes,
      systemRoutes,
      timeoutMs: manager.timeout === undefined ? undefined : parseDuration(manager.timeout),
      stuckAfterMs: stuckAfterMs(manager.stuckAfter),
      onStuck: manager.onStuck ?? 'notify',
      transitions,
    };
    const own = classHandlers.flatMap((handler) => statefulRoutes(definition, handler));
    if (!own.some((route) => route.start)) throw new MissingStartHandlerError(name);
    const builtIns = builtInRoutes(definition).filter(
      (builtIn) => !own.some((r) => r.messageType === builtIn.messageType),
    );
    const compiler = compilers.find((candidate) => candidate.owns(instance));
    const compiled = compiler
      ? compiler.compile(definition, instance, own, builtIns)
      : { routes: own, systemRoutes: builtIns, messages: [], transitions: undefined };
    routes.push(...compiled.routes);
    systemRoutes.push(...compiled.systemRoutes);
    transitions.push(...(compiled.transitions ?? handlerTransitions(own)));
    compiled.messages.forEach((message) => registry.register(message));
    if (compiled.onCommandSent) Object.assign(definition, { onCommandSent: compiled.onCommandSent });
    processes.set(name, definition);
  }
  return processes;
}

/** Edges declared by the handlers' `from` / `to`. */
function handlerTransitions(routes: readonly StatefulRoute[]): StateTransition[] {
  return routes.flatMap((route) => {
    if (route.to === undefined) return [];
    const sources = route.start ? ['[*]'] : (route.from ?? ['*']);
    const label = route.guard ? `${route.messageType} [${route.guard.name}]` : route.messageType;
    return sources.map((from) => ({ from, to: route.to!, label }));
  });
}

function statefulRoutes(process: ProcessDefinition, handler: DiscoveredHandler): StatefulRoute[] {
  const {
    correlate,
    from,
    to,
    when,
    start = false,
    onMissing = 'ignore',
    onMissingCorrelation,
  } = handler.options;
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
    guard: when && { name: when.name || 'when', test: when },
    onMissing,
    onMissingCorrelation,
    correlateBy: typeof correlate === 'function' ? 'correlate()' : key!,
    // A named property other than the process's own key finds the instance through associations.
    associationKey:
      typeof correlate === 'string' &&
      process.correlationKey !== undefined &&
      correlate !== process.correlationKey
        ? correlate
        : undefined,
    correlate:
      typeof correlate === 'function'
        ? correlate
        : (message: object) => (message as Record<string, unknown>)[key!],
    invoke: (message, ctx) => method.call(handler.instance, message, ctx),
  }));
}

/** The version and migrations of a process, or `InvalidProcessVersionError` when some older state could not be upgraded. */
function checkedVersion(
  name: string,
  manager: ProcessManagerOptions,
): Pick<ProcessDefinition, 'version' | 'migrations'> {
  const version = manager.version ?? 1;
  const migrations = manager.migrations ?? {};
  if (!Number.isInteger(version) || version < 1)
    throw new InvalidProcessVersionError(name, version, 'not an integer >= 1');
  const missing = Array.from({ length: version - 1 }, (_, i) => i + 2).filter(
    (v) => typeof migrations[v] !== 'function',
  );
  if (missing.length > 0)
    throw new InvalidProcessVersionError(name, version, `migrations[${missing.join('], [')}] missing`);
  const beyond = Object.keys(migrations)
    .map(Number)
    .filter((v) => !(v >= 2 && v <= version));
  if (beyond.length > 0)
    throw new InvalidProcessVersionError(
      name,
      version,
      `migrations[${beyond.join('], [')}] lie outside 2..${version} (raise version with the migration)`,
    );
  return { version, migrations };
}

function stuckAfterMs(option: ProcessManagerOptions['stuckAfter']): ProcessDefinition['stuckAfterMs'] {
  if (option === undefined) return { default: undefined };
  if (typeof option !== 'object') return { default: parseDuration(option) };
  const byState = Object.fromEntries(
    Object.entries(option).map(([state, value]) => [state, parseDuration(value)]),
  );
  return { ...byState, default: byState['default'] };
}

/** Unhandled deadline or dispatch failure fails the instance: nothing is left hanging silently. */
function builtInRoutes(process: ProcessDefinition): StatefulRoute[] {
  const builtIn = (type: Function, reason: (message: Record<string, unknown>) => string): StatefulRoute => ({
    kind: 'stateful',
    process,
    messageType: messageTypeName(type),
    methodName: `(built-in ${type.name})`,
    start: false,
    from: undefined,
    to: undefined,
    guard: undefined,
    onMissing: 'ignore',
    correlateBy: 'processId',
    associationKey: undefined,
    correlate: () => undefined,
    invoke: (message: object, ctx: ProcessContext<object>) =>
      ctx.fail(reason(message as Record<string, unknown>)),
  });
  return [
    builtIn(ProcessTimedOut, () => 'timed out'),
    builtIn(
      CommandDispatchFailed,
      (m) => `dispatch of ${String(m['commandType'])} failed: ${String(m['error'])}`,
    ),
  ];
}

function statelessRoutes(
  handler: DiscoveredHandler,
  compilers: readonly ProcessCompiler[],
): StatelessRoute[] {
  const compiler = compilers.find((candidate) => candidate.owns(handler.instance));
  if (compiler) throw compiler.withoutProcessManager(handler.className);
  const method = (handler.instance as Record<string, Function>)[handler.methodName]!;
  return handler.events.map((event) => ({
    kind: 'stateless',
    name: `${handler.className}.${handler.methodName}`,
    durable: handler.options.durable ?? true,
    messageType: messageTypeName(event),
    invoke: (message) => method.call(handler.instance, message),
  }));
}
