import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Notification } from './notification.entity.js';
import { SendNotification } from './send-notification.command.js';

@CommandHandler(SendNotification)
export class SendNotificationHandler implements ICommandHandler<SendNotification> {
  private readonly logger = new Logger(SendNotificationHandler.name);

  constructor(@InjectRepository(Notification) private readonly notifications: Repository<Notification>) {}

  async execute({ kind, reference, message }: SendNotification): Promise<void> {
    await this.notifications.insert({ kind, reference, message });
    this.logger.log(`[${kind}] ${message}`);
  }
}
