import { IsOptional, IsString, MaxLength } from 'class-validator';

export class CancelProcessDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
