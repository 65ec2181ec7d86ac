export const PROCESS_MANAGER_METADATA = 'process-manager:definition';
export const ON_EVENT_METADATA = 'process-manager:on-event';
export const MESSAGE_TYPE_METADATA = 'process-manager:message-type';

/** Set by `@nestjs/cqrs`'s `@CommandHandler()` on the command class and on the handler (not exported by the package). */
export const CQRS_COMMAND_METADATA = '__command__';
export const CQRS_COMMAND_HANDLER_METADATA = '__commandHandler__';

/** Resolved options (defaults merged), see `process-manager.options.ts`. */
export const RESOLVED_OPTIONS = Symbol('process-manager:resolved-options');
