import type { Type } from '@nestjs/common';
import type { OnEventOptions } from '../decorators/on-event.decorator.js';
import type { ProcessManagerOptions } from '../decorators/process-manager.decorator.js';
import type { ProcessContext } from '../kernel/process-context.js';
import type { ProcessInstance } from '../kernel/process-instance.js';

/** A stateful handler: one `@OnEvent()` event type of a `@ProcessManager()` method. */
export interface StatefulRoute {
  readonly kind: 'stateful';
  readonly process: ProcessDefinition;
  readonly messageType: string;
  readonly methodName: string;
  readonly start: boolean;
  /** Named states in which the handler runs; undefined = any. */
  readonly from: readonly string[] | undefined;
  readonly to: string | undefined;
  /** `@OnEvent({ when })`, with the name the history note and the diagram give it. */
  readonly guard?: RouteGuard;
  readonly onMissing: NonNullable<OnEventOptions['onMissing']>;
  /** `'ignore'`: an event without a correlation value is not for this process (default: dead-lettered). */
  readonly onMissingCorrelation?: OnEventOptions['onMissingCorrelation'];
  /** What the correlation value is read from, for messages: `'orderId'` or `'correlate()'`. */
  readonly correlateBy: string;
  /** Association key when the route correlates on a property other than the process's key. */
  readonly associationKey: string | undefined;
  /** Correlation value of an event; may throw (user function). */
  readonly correlate: (event: object) => unknown;
  readonly invoke: (event: object, ctx: ProcessContext<object>) => unknown;
}

export interface RouteGuard {
  readonly name: string;
  readonly test: (event: object, state: object) => boolean;
}

/** A stateless `@OnEvent()` in a plain provider: returns the messages to send. */
export interface StatelessRoute {
  readonly kind: 'stateless';
  /** `ClassName.methodName`, unique per app. */
  readonly name: string;
  readonly messageType: string;
  readonly durable: boolean;
  readonly invoke: (event: object) => unknown;
}

export type Route = StatefulRoute | StatelessRoute;

/** One `@ProcessManager()` class, as the runtime sees it. */
export interface ProcessDefinition {
  readonly name: string;
  readonly className: string;
  readonly correlationKey: string | undefined;
  readonly initialState: () => object;
  /** Version of the state's schema (`@ProcessManager({ version })`), >= 1. */
  readonly version: number;
  /** `migrations[v]` upgrades a state of version v-1 to v; one for each v in 2..version (checked at boot). */
  readonly migrations: Readonly<Record<number, (state: object) => object>>;
  /** The `@OnEvent()` handlers; these receive events from the EventBus. */
  readonly routes: readonly StatefulRoute[];
  /** Built-in handlers for library messages the class does not handle itself; delivered by id only. */
  readonly systemRoutes: readonly StatefulRoute[];
  readonly timeoutMs: number | undefined;
  /** Idle time before recovery reports an instance, per named state; `default` for the rest. */
  readonly stuckAfterMs: {
    readonly default: number | undefined;
    readonly [stateName: string]: number | undefined;
  };
  readonly onStuck: 'notify' | 'resend' | 'fail';
  /** The named-state machine, for diagrams: from `from`/`to`, or from a saga's steps. */
  readonly transitions: readonly StateTransition[];
  /** Set when the process waits for some of its commands to leave; see `CompiledProcess.onCommandSent`. */
  readonly onCommandSent?: CommandSentHook;
}

/**
 * What to deliver (by id) to an instance once one of its commands was dispatched, or undefined when
 * it does not wait for that command. Called with the instance as it is now.
 */
export type CommandSentHook = (
  instance: ProcessInstance,
  command: { readonly type: string; readonly messageId: string },
) => object | undefined;

/** One edge of a process's state machine; `from: '[*]'` is the start, `from: '*'` any state. */
export interface StateTransition {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

/** The handler of `messageType` in a process: its own, else a built-in one. */
export function routeFor(process: ProcessDefinition, messageType: string): StatefulRoute | undefined {
  return (
    process.routes.find((route) => route.messageType === messageType) ??
    process.systemRoutes.find((route) => route.messageType === messageType)
  );
}

export interface DiscoveredHandler {
  instance: object;
  className: string;
  methodName: string;
  /** Present when the host class is a `@ProcessManager()`. */
  manager: ProcessManagerOptions | undefined;
  events: Type[];
  options: OnEventOptions;
}
