import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ORDER_FAKE_SERVICES } from './fake-services/index.js';
import { OrderFulfilment } from './order-fulfilment.saga.js';
import { OrderStatusProjector } from './order-status.projector.js';
import { Order } from './order.entity.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Order])],
  controllers: [OrdersController],
  providers: [OrdersService, OrderFulfilment, OrderStatusProjector, ...ORDER_FAKE_SERVICES],
})
export class OrdersModule {}
