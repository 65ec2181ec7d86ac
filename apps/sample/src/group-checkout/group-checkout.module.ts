import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FrontDeskService } from './front-desk.service.js';
import {
  GroupCheckoutCompletedHandler,
  NotifyGroupCheckoutFailureHandler,
} from './group-checkout-outcome.handlers.js';
import { GroupCheckout } from './group-checkout.process.js';
import { GroupCheckoutRecord } from './group-checkout.entity.js';
import { GroupCheckoutsController } from './group-checkouts.controller.js';
import { GroupCheckoutsService } from './group-checkouts.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([GroupCheckoutRecord])],
  controllers: [GroupCheckoutsController],
  providers: [
    GroupCheckout,
    GroupCheckoutsService,
    FrontDeskService,
    NotifyGroupCheckoutFailureHandler,
    GroupCheckoutCompletedHandler,
  ],
})
export class GroupCheckoutModule {}
