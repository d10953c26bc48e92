import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsArray,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PEM_MAX_LENGTH } from '@forkdesk/agent-contract';
import type * as contract from '@forkdesk/broker-contract';
import type {
  ChildInfo,
  EnrollmentRequest,
  Heartbeat,
  HostCapacity,
  TemplateInfo,
} from '@forkdesk/agent-contract';

export class CreateEnrollmentTokenDto {
  @ApiPropertyOptional({ description: 'name the agent will have; default: its host name' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
    message: 'name must be 1-128 letters, digits or . _ - (starting with a letter or digit)',
  })
  name?: string;
}

export class EnrollDto implements EnrollmentRequest {
  @ApiProperty()
  @IsString()
  @MinLength(16)
  @MaxLength(256)
  enrollmentToken!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  hostname!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(64)
  agentVersion!: string;

  @ApiProperty({ example: 'http://10.0.0.5:7450' })
  @IsString()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'apiUrl must be an http(s) URL' })
  @MaxLength(2048)
  apiUrl!: string;

  @ApiPropertyOptional({ example: '10.0.0.5:4823' })
  @IsOptional()
  @IsString()
  @Matches(/^[^\s:]{1,255}:[0-9]{1,5}$/, { message: 'gatewayAddress must be host:port' })
  gatewayAddress?: string;

  @ApiPropertyOptional({ description: 'PKCS#10 request (PEM) for the agent API certificate' })
  @IsOptional()
  @IsString()
  @MaxLength(PEM_MAX_LENGTH)
  @Matches(/^-----BEGIN CERTIFICATE REQUEST-----/, { message: 'csr must be a PEM request' })
  csr?: string;
}

/** Heartbeats are produced by our own agents; the shape is checked, the lists taken as sent. */
export class HeartbeatDto implements Heartbeat {
  @IsString()
  @MaxLength(128)
  agentId!: string;

  @IsString()
  @MaxLength(64)
  agentVersion!: string;

  @IsISO8601()
  sentAt!: string;

  @IsObject()
  capacity!: HostCapacity;

  @IsArray()
  vms!: ChildInfo[];

  @IsArray()
  templates!: TemplateInfo[];
}

export type AgentView = contract.AgentView<Date>;
