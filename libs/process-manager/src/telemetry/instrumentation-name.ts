/** Names the library's tracer and meter. */
export const INSTRUMENTATION_NAME = 'nestjs-process-manager';
