import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MessageType, ProcessManagerService } from 'nestjs-process-manager';

/** An operator has seen a failed process: its key is freed, e.g. a document can be voided again. */
@MessageType('AcknowledgeProcessFailure')
export class AcknowledgeProcessFailure {
  constructor(readonly processId: string) {}
}

@CommandHandler(AcknowledgeProcessFailure)
export class AcknowledgeProcessFailureHandler implements ICommandHandler<AcknowledgeProcessFailure> {
  constructor(private readonly processes: ProcessManagerService) {}

  execute({ processId }: AcknowledgeProcessFailure): Promise<void> {
    return this.processes.acknowledgeFailure(processId);
  }
}
