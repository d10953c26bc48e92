import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  IsBoolean,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  Min,
} from 'class-validator';
import {
  MIN_CPU_LIMIT_PERCENT,
  type CreateEntitlementRequest,
  type CreatePoolRequest,
} from '@forkdesk/broker-contract';
import { AssignmentMode, NetworkMode, RefreshPolicy } from '@forkdesk/db';

export type { EntitlementView, PoolView } from '@forkdesk/broker-contract';

export class CreatePoolDto implements CreatePoolRequest {
  @ApiProperty({ example: 'engineering' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, {
    message: 'name must be 1-64 letters, digits, spaces or . _ - (starting with a letter or digit)',
  })
  name!: string;

  @ApiProperty()
  @IsUUID()
  imageId!: string;

  @ApiPropertyOptional({ description: 'pin a version; default follows the published one' })
  @IsOptional()
  @IsUUID()
  imageVersionId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 64, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  vcpus?: number;

  @ApiPropertyOptional({ minimum: 64, maximum: 1048576, default: 1024 })
  @IsOptional()
  @IsInt()
  @Min(64)
  @Max(1048576)
  memoryMib?: number;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: MIN_CPU_LIMIT_PERCENT,
    maximum: 6400,
    example: 50,
    description:
      'the most CPU one desktop may use, in percent of one core (50: half a core), at most vcpus × 100; null: no limit. Running desktops keep the limit they were forked with',
  })
  @IsOptional()
  @IsInt({ message: 'cpuLimitPercent must be a whole number (percent of one core) or null' })
  cpuLimitPercent?: number | null;

  @ApiPropertyOptional({ minimum: 0, maximum: 10000, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10000)
  minSpare?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  maxSize?: number;

  @ApiPropertyOptional({ enum: RefreshPolicy, default: RefreshPolicy.OnLogoff })
  @IsOptional()
  @IsEnum(RefreshPolicy)
  refreshPolicy?: RefreshPolicy;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 10080,
    default: 60,
    description:
      'disconnect timeout: minutes a desktop may stay without its owner connected before it is logged off (0: never)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10080)
  idleTimeoutMin?: number;

  @ApiPropertyOptional({
    enum: AssignmentMode,
    default: AssignmentMode.Floating,
    description:
      'floating: logoff ends the desktop and the user gets any spare next time; dedicated: the user keeps the same desktop across logoffs until an admin logs it off or the pool moves to a new version',
  })
  @IsOptional()
  @IsEnum(AssignmentMode)
  assignmentMode?: AssignmentMode;

  @ApiPropertyOptional({
    default: false,
    description:
      "each user's home is a persistent disk, attached to one desktop at a time (database lease)",
  })
  @IsOptional()
  @IsBoolean()
  persistentHome?: boolean;

  @ApiPropertyOptional({ enum: NetworkMode, default: NetworkMode.Restricted })
  @IsOptional()
  @IsEnum(NetworkMode)
  networkMode?: NetworkMode;
}

export class UpdatePoolDto extends PartialType(CreatePoolDto) {}

export class CreateEntitlementDto implements CreateEntitlementRequest {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  groupId?: string;
}
