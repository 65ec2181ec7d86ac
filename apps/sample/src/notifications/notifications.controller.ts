import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Notification } from './notification.entity.js';

@Controller('notifications')
export class NotificationsController {
  constructor(@InjectRepository(Notification) private readonly notifications: Repository<Notification>) {}

  /** Newest first; `reference` narrows them to one order or group. */
  @Get()
  async list(@Query('reference') reference?: string) {
    const items = await this.notifications.find({
      where: reference ? { reference } : {},
      order: { createdAt: 'DESC' },
      take: 100,
    });
    return { items };
  }
}
