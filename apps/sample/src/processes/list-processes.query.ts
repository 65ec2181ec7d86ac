import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { ProcessStatus } from 'nestjs-process-manager';

export const PROCESS_STATUSES: ProcessStatus[] = [
  'running',
  'compensating',
  'completed',
  'failed',
  'cancelled',
];

/** `GET /processes?type=&status=running,failed&limit=&cursor=` */
export class ListProcessesQuery {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  type?: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').filter((status) => status !== '') : value,
  )
  @IsIn(PROCESS_STATUSES, { each: true, message: `status must be one of ${PROCESS_STATUSES.join(', ')}` })
  status?: ProcessStatus[];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}
