import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CancelOrderDto } from './cancel-order.dto.js';
import { CreateOrderDto } from './create-order.dto.js';
import { OrdersService, type OrderView } from './orders.service.js';

const orderId = () => new UuidParamPipe('order');

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  place(@Body() body: CreateOrderDto): Promise<{ orderId: string; processId: string }> {
    return this.orders.place(body);
  }

  @Get(':orderId')
  get(@Param('orderId', orderId()) id: string): Promise<OrderView> {
    return this.orders.view(id);
  }

  /** 202: the cancellation is under way; the order ends `cancelled` once its steps are undone. */
  @Post(':orderId/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  cancel(@Param('orderId', orderId()) id: string, @Body() { reason }: CancelOrderDto) {
    return this.orders.cancel(id, reason);
  }
}
