import type { Type } from '@nestjs/common';
import type {
  CommandSentHook,
  ProcessDefinition,
  StatefulRoute,
  StateTransition,
} from './process-definition.js';

/** The routes a process class compiles to. */
export interface CompiledProcess {
  readonly routes: StatefulRoute[];
  readonly systemRoutes: StatefulRoute[];
  /** Message classes the app must be able to rebuild from a payload (retries, timers). */
  readonly messages: Type[];
  /** State-diagram edges; `undefined` draws them from the handlers' `from` / `to`. */
  readonly transitions: StateTransition[] | undefined;
  /**
   * For a process that counts some commands as done once sent (a saga's compensation without `ack`):
   * the message that tells an instance one of them left, delivered by id once its handler returned.
   */
  readonly onCommandSent?: CommandSentHook;
}

/**
 * A kind of process class with routes of its own (orchestrated sagas). The routing table asks each
 * registered compiler whether it owns a class; classes nobody owns keep their `@OnEvent()` routes.
 * Compilers plug into the table, so the table never depends on the kinds it builds.
 */
export abstract class ProcessCompiler {
  /** True when `instance` is a class this compiler builds. */
  abstract owns(instance: object): boolean;
  abstract compile(
    process: ProcessDefinition,
    instance: object,
    own: readonly StatefulRoute[],
    builtIns: readonly StatefulRoute[],
  ): CompiledProcess;
  /** The boot error for a class of this kind used without `@ProcessManager()`. */
  abstract withoutProcessManager(className: string): Error;
}

/** DI token: the `ProcessCompiler`s of this app. */
export const PROCESS_COMPILERS = Symbol('process-manager:process-compilers');
