import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type * as contract from '@forkdesk/broker-contract';

export type ImageView = contract.ImageView<Date>;
export type VersionView = contract.VersionView<Date>;

export class CreateImageDto implements contract.CreateImageRequest {
  @ApiProperty({ example: 'debian-desktop' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,47}$/, {
    message:
      'name must be 1-48 lower-case letters, digits or . _ - (starting with a letter or digit)',
  })
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

/** Either the path of a manifest file on the broker's host, or the manifest itself. */
export class ImportVersionDto implements contract.ImportVersionRequest {
  @ApiPropertyOptional({ example: '/var/cache/forkdesk/images/tiny/manifest.json' })
  @IsOptional()
  @IsString()
  @Matches(/^\/[^\0]{0,4095}$/, { message: 'manifestPath must be an absolute path' })
  manifestPath?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  manifest?: Record<string, unknown>;
}
