/** Where a process type stands now: the instances holding a key, and what needs an operator. */
export interface ProcessTypeOverview {
  type: string;
  running: number;
  compensating: number;
  /** Failed and not acknowledged: each holds its key until an operator acknowledges it. */
  failed: number;
  /** Live instances reported stuck by recovery (`stuckAfter`). */
  stalled: number;
  /** Open dead letters of the type's instances. */
  deadLetters: number;
}

/** `ProcessManagerService.overview()`: every registered type, and dead letters no type owns. */
export interface ProcessOverview {
  types: ProcessTypeOverview[];
  /** Dead letters of stateless handlers (`Class.method`) and of types this app does not run. */
  otherDeadLetters: { handler: string; count: number }[];
}
