import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { AuditFilter } from '@forkdesk/broker-contract';
import { Roles } from '../common/roles.decorator';
import { AuditService, AuditView } from './audit.service';

export class AuditQueryDto implements AuditFilter<Date> {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;

  @IsOptional()
  @IsString()
  @MaxLength(160)
  actor?: string;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  @IsOptional()
  @Type(() => Date)
  @IsDate()
  until?: Date;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

@ApiTags('admin')
@Roles('admin')
@Controller('api/admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  list(@Query() q: AuditQueryDto): Promise<AuditView[]> {
    return this.audit.list({ ...q, limit: q.limit ?? 100 });
  }
}
