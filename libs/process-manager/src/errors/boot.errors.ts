import { ProcessManagerError } from './process-manager.error.js';

/** Two `@ProcessManager()` classes share one persisted name. */
export class DuplicateProcessNameError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly classNames: string[],
  ) {
    super(
      `Process name "${processName}" is used by ${classNames.join(' and ')}. ` +
        `Give each @ProcessManager() a unique, stable name.`,
    );
  }
}

/** A stateful `@OnEvent` handler has no way to find its instance. */
export class MissingCorrelationError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly methodName: string,
  ) {
    super(
      `${processName}.${methodName}() cannot be correlated: set correlationKey in @ProcessManager() ` +
        `or correlate in its @OnEvent().`,
    );
  }
}

/** A `@ProcessManager()` class has no `@OnEvent({ start: true })` handler, so no instance could ever exist. */
export class MissingStartHandlerError extends ProcessManagerError {
  constructor(readonly processName: string) {
    super(`Process "${processName}" has no start handler: mark one @OnEvent() with { start: true }.`);
  }
}

/** Process handlers run outside any request, so they must be singletons. */
export class UnsupportedHandlerScopeError extends ProcessManagerError {
  constructor(readonly className: string) {
    super(
      `${className} has @OnEvent() handlers but is request- or transient-scoped (or depends on such a provider). ` +
        `Process handlers must be singletons: remove the scope.`,
    );
  }
}

/** Two message classes claim one wire name. */
export class DuplicateMessageTypeError extends ProcessManagerError {
  constructor(
    readonly typeName: string,
    readonly classNames: string[],
  ) {
    super(
      `Message type "${typeName}" is used by ${classNames.join(' and ')}. ` +
        `Give one of them a distinct name with @MessageType('...').`,
    );
  }
}

/** `ProcessManagerModule` needs a module the app must import once, globally. */
export class MissingDependencyModuleError extends ProcessManagerError {
  constructor(
    readonly provider: string,
    readonly forRoot: string,
  ) {
    super(`ProcessManagerModule needs ${provider}: import ${forRoot} in your root module.`);
  }
}
