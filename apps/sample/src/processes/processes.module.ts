import { Module } from '@nestjs/common';
import { AcknowledgeProcessFailureHandler } from './acknowledge-process-failure.command.js';
import { ProcessesController } from './processes.controller.js';

@Module({
  controllers: [ProcessesController],
  providers: [AcknowledgeProcessFailureHandler],
})
export class ProcessesModule {}
