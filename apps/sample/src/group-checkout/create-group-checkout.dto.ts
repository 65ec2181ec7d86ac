import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';

export class GroupCheckoutSimulationDto {
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  failGuests?: string[];
}

export class CreateGroupCheckoutDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(100, { each: true })
  guests!: string[];

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => GroupCheckoutSimulationDto)
  simulate?: GroupCheckoutSimulationDto;
}
