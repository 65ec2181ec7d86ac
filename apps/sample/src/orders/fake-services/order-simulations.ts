import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { OrderSimulation } from '../domain/index.js';
import { Order } from '../order.entity.js';

/** The failures an order asked for when it was created (`simulate`), looked up by the fake services. */
@Injectable()
export class OrderSimulations {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async of(orderId: string): Promise<OrderSimulation> {
    const order = await this.orders.findOne({ where: { id: orderId }, select: { id: true, simulate: true } });
    return order?.simulate ?? {};
  }
}
