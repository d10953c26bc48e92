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
import { AssignmentMode, NetworkMode, RefreshPolicy } from '@forkdesk/db';

export class CreatePoolDto {
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

export class CreateEntitlementDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  groupId?: string;
}

export interface PoolView {
  id: string;
  name: string;
  imageId: string;
  imageVersionId: string | null;
  /** The version new desktops fork from now (pinned, or the image's published one). */
  effectiveVersionId: string | null;
  vcpus: number;
  memoryMib: number;
  minSpare: number;
  maxSize: number;
  refreshPolicy: RefreshPolicy;
  idleTimeoutMin: number;
  assignmentMode: AssignmentMode;
  persistentHome: boolean;
  networkMode: NetworkMode;
  desktops: Record<string, number>;
}

export interface EntitlementView {
  id: string;
  poolId: string;
  userId: string | null;
  groupId: string | null;
  name: string;
}
