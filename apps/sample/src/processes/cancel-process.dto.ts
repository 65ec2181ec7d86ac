import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';

export class CancelProcessDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  /** `false` ends a saga at once, without compensating what it did. */
  @IsOptional()
  @IsBoolean()
  compensate?: boolean;
}
