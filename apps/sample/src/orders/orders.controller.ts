import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateOrderDto } from './create-order.dto.js';
import { OrdersService, type OrderView } from './orders.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  place(@Body() body: CreateOrderDto): Promise<{ orderId: string; processId: string }> {
    return this.orders.place(body);
  }

  @Get(':orderId')
  get(@Param('orderId', new UuidParamPipe('order')) orderId: string): Promise<OrderView> {
    return this.orders.view(orderId);
  }
}
