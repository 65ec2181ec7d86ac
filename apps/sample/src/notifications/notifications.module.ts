import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Notification } from './notification.entity.js';
import { NotificationsController } from './notifications.controller.js';
import { OrderNotificationsSaga } from './order-notifications.saga.js';
import { PaymentReceipts } from './payment-receipts.reaction.js';
import { SendNotificationHandler } from './send-notification.handler.js';

/** Stateless choreography: an RxJS saga and an `@OnEvent` reaction, both ending in `SendNotification`. */
@Module({
  imports: [TypeOrmModule.forFeature([Notification])],
  controllers: [NotificationsController],
  providers: [SendNotificationHandler, OrderNotificationsSaga, PaymentReceipts],
})
export class NotificationsModule {}
