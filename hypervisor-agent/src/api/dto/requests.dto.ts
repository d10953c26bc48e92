// Request bodies, validated by class-validator; each implements its contract type.

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  CreateTemplateRequest,
  ExecRequest,
  ForkRequest,
  ForkRunningRequest,
  ImageSource,
  MAX_FORK_COUNT,
  MIN_CPU_LIMIT_PERCENT,
  NetworkMode,
  Personalization,
  RevokeDisplayRequest,
  VmShape,
} from '@forkdesk/agent-contract';

/** Ids of templates and VMs: no path separators, no leading dot. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/;
const ID_RULE = 'must be 1-200 characters of A-Z a-z 0-9 . _ : @ + - (not starting with a symbol)';
/** Image version names, as the engine's image store accepts them. */
const IMAGE_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class VmShapeDto implements VmShape {
  @ApiProperty({ minimum: 1, maximum: 64, example: 1 })
  @IsInt()
  @Min(1)
  @Max(64)
  vcpus!: number;

  @ApiProperty({ minimum: 128, maximum: 1048576, example: 256 })
  @IsInt()
  @Min(128)
  @Max(1048576)
  memoryMiB!: number;
}

const ABS_PATH = /^\/[^\0]{0,4095}$/;

export class ImageSourceDto implements ImageSource {
  @ApiProperty({ example: '/var/cache/forkdesk/images/golden-1/vmlinuz' })
  @Matches(ABS_PATH, { message: 'image.kernel must be an absolute path' })
  kernel!: string;

  @ApiProperty()
  @Matches(ABS_PATH, { message: 'image.initrd must be an absolute path' })
  initrd!: string;

  @ApiProperty()
  @Matches(ABS_PATH, { message: 'image.disk must be an absolute path' })
  disk!: string;

  @ApiProperty({ example: 'console=ttyS0 quiet' })
  @IsString()
  @MaxLength(4096)
  append!: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  readyCheck?: string[];

  @ApiProperty()
  @Matches(/^[A-Za-z0-9]{8,64}$/, { message: 'image.hash must be 8-64 letters or digits' })
  hash!: string;

  @ApiPropertyOptional({ example: '/usr/local/sbin/forkdesk-fork-hook' })
  @IsOptional()
  @Matches(ABS_PATH, { message: 'image.forkHook must be an absolute path' })
  forkHook?: string;

  @ApiPropertyOptional({ example: '/usr/local/sbin/forkdesk-resize' })
  @IsOptional()
  @Matches(ABS_PATH, { message: 'image.resizeHook must be an absolute path' })
  resizeHook?: string;
}

export class CreateTemplateDto implements CreateTemplateRequest {
  @ApiProperty({ example: 'debian-desktop-1.4', pattern: IMAGE_VERSION_PATTERN.source })
  @IsString()
  @Matches(IMAGE_VERSION_PATTERN, {
    message:
      'imageVersion must be 1-64 characters of A-Z a-z 0-9 . _ - (not starting with a symbol)',
  })
  imageVersion!: string;

  @ApiPropertyOptional({ type: VmShapeDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => VmShapeDto)
  shape?: VmShapeDto;

  @ApiPropertyOptional({ type: ImageSourceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ImageSourceDto)
  image?: ImageSourceDto;
}

export class ForkDto implements ForkRequest {
  @ApiProperty({ pattern: ID_PATTERN.source })
  @IsString()
  @Matches(ID_PATTERN, { message: `templateId ${ID_RULE}` })
  templateId!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_FORK_COUNT, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_FORK_COUNT)
  count?: number;

  @ApiPropertyOptional({ maxLength: 128, description: 'a retry with the same key forks nothing' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, {
    message: 'idempotencyKey must be 1-128 letters, digits or . _ : -',
  })
  idempotencyKey?: string;

  @ApiPropertyOptional({ enum: ['restricted', 'nat'], default: 'restricted' })
  @IsOptional()
  @IsIn(['restricted', 'nat'], { message: 'network must be restricted or nat' })
  network?: NetworkMode;

  @ApiPropertyOptional({
    minimum: MIN_CPU_LIMIT_PERCENT,
    maximum: 6400,
    example: 50,
    description:
      "the most CPU each child may use, in percent of one core; at most the template's vcpus × 100",
  })
  @IsOptional()
  @IsInt({ message: 'cpuLimitPercent must be a whole number (percent of one core)' })
  @Min(MIN_CPU_LIMIT_PERCENT, {
    message: `cpuLimitPercent must be at least ${MIN_CPU_LIMIT_PERCENT} (a tenth of a core)`,
  })
  @Max(6400, { message: 'cpuLimitPercent must be at most 6400 (64 vCPUs × 100)' })
  cpuLimitPercent?: number;

  @ApiPropertyOptional({
    default: false,
    description: 'a spare nobody waits for yet: forked after the work someone waits for',
  })
  @IsOptional()
  @IsBoolean({ message: 'spare must be true or false' })
  spare?: boolean;
}

export class ForkRunningDto implements ForkRunningRequest {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_FORK_COUNT, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_FORK_COUNT)
  count?: number;
}

export class PersonalizeDto implements Personalization {
  @ApiPropertyOptional({ example: 'desk-alice', description: 'RFC 1123 host name label' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, {
    message: 'hostname must be a host name label (letters, digits, inner hyphens, at most 63)',
  })
  hostname?: string;

  @ApiPropertyOptional({ example: 'alice' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z_][a-z0-9_-]{0,31}$/, {
    message: 'userName must be a POSIX user name (lower case, at most 32 characters)',
  })
  userName?: string;

  @ApiPropertyOptional({ example: 'Alice Martin' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[^:,\\\n]*$/, { message: "fullName may not contain ':', ',', '\\' or a newline" })
  fullName?: string;

  @ApiPropertyOptional({ example: '/var/lib/forkdesk/homes/alice.qcow2' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  @Matches(/^\/(?!.*(^|\/)\.\.(\/|$))[^\0]*$/, {
    message: 'persistentDisk must be an absolute path without ".." segments',
  })
  persistentDisk?: string;

  @ApiPropertyOptional({ minimum: 16, maximum: 1048576, example: 1024 })
  @IsOptional()
  @IsInt()
  @Min(16)
  @Max(1048576)
  persistentDiskSizeMiB?: number;

  @ApiPropertyOptional({
    example: '2026-01-10T12:00:30.000Z',
    description: 'the disk lease ends then unless renewed: the child is destroyed',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  leaseExpiresAt?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  syncClock?: boolean;
}

export class RevokeDisplayDto implements RevokeDisplayRequest {
  @ApiPropertyOptional({ description: "only this user's connections and tickets" })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  user?: string;
}

export class ExecDto implements ExecRequest {
  @ApiProperty({ type: [String], example: ['uname', '-a'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @MaxLength(65536, { each: true })
  command!: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 600000, default: 30000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600_000)
  timeoutMs?: number;
}
