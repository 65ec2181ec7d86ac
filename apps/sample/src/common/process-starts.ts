import { Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService, ProcessStarted } from 'nestjs-process-manager';
import { filter } from 'rxjs';

/**
 * Tells which process instance a write started, so an HTTP request can answer with its `processId`.
 * `write` commits the start event (through the library's `Outbox`); we listen for the library's
 * `ProcessStarted`, published once the instance is committed, and fall back to looking it up.
 */
@Injectable()
export class ProcessStarts {
  constructor(
    private readonly eventBus: EventBus,
    private readonly processes: ProcessManagerService,
  ) {}

  async start(
    type: string,
    correlationKey: string,
    write: () => Promise<void>,
    timeoutMs = 10_000,
  ): Promise<string> {
    let resolveStarted!: (processId: string) => void;
    const started = new Promise<string>((resolve) => (resolveStarted = resolve));
    // Subscribed before the write: the instance may be created before `write()` returns.
    const subscription = this.eventBus
      .pipe(
        filter(
          (event): event is ProcessStarted =>
            event instanceof ProcessStarted &&
            event.processType === type &&
            event.correlationKey === correlationKey,
        ),
      )
      .subscribe((event) => resolveStarted(event.processId));
    let timer: NodeJS.Timeout | undefined;
    try {
      await write();
      const timedOut = new Promise<undefined>(
        (resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)),
      );
      // No ProcessStarted: the event went to an instance that already held the key, or dispatch is slow.
      const processId =
        (await Promise.race([started, timedOut])) ?? (await this.processes.find(type, correlationKey))?.id;
      if (!processId)
        throw new Error(`No "${type}" process started for ${correlationKey} within ${timeoutMs} ms.`);
      return processId;
    } finally {
      subscription.unsubscribe();
      clearTimeout(timer);
    }
  }
}
