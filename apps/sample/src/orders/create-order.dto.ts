import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type { OrderItem, OrderSimulation } from './domain/index.js';

export class OrderItemDto implements OrderItem {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(1_000)
  qty!: number;
}

export class OrderSimulationDto implements OrderSimulation {
  @IsOptional()
  @IsIn(['unavailable'])
  inventory?: 'unavailable';

  @IsOptional()
  @IsIn(['decline', 'timeout'])
  payment?: 'decline' | 'timeout';

  @IsOptional()
  @IsIn(['fail'])
  shipping?: 'fail';

  @IsOptional()
  @IsIn(['crash'])
  completion?: 'crash';
}

export class CreateOrderDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];

  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0.01)
  @Max(1_000_000)
  total!: number;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OrderSimulationDto)
  simulate?: OrderSimulationDto;
}
