import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PrintLabel, SendCourier } from './parcel.messages.js';

/** What the command handlers did, in order. */
@Injectable()
export class HandledCommands {
  readonly log: string[] = [];
}

@CommandHandler(PrintLabel)
export class PrintLabelHandler implements ICommandHandler<PrintLabel> {
  constructor(private readonly handled: HandledCommands) {}

  async execute(command: PrintLabel): Promise<void> {
    this.handled.log.push(`PrintLabel ${command.parcelId}`);
  }
}

@CommandHandler(SendCourier)
export class SendCourierHandler implements ICommandHandler<SendCourier> {
  constructor(private readonly handled: HandledCommands) {}

  async execute(command: SendCourier): Promise<void> {
    this.handled.log.push(`SendCourier ${command.parcelId}`);
  }
}
