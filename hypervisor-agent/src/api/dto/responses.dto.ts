// Answer shapes for the OpenAPI document; each implements its contract type so they stay in step.

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  Accelerator,
  ApiError,
  ChildInfo,
  ChildState,
  ExecResult,
  FieldError,
  ForkResponse,
  ForkRunningResponse,
  HealthStatus,
  Heartbeat,
  HostCapacity,
  MemoryUsage,
  RevokeDisplayResponse,
  TemplateInfo,
  TemplateState,
} from '@forkdesk/agent-contract';
import { VmShapeDto } from './requests.dto';

const ACCELS: Accelerator[] = ['kvm', 'tcg'];

export class TemplateInfoModel implements TemplateInfo {
  @ApiProperty() id!: string;
  @ApiProperty() imageVersion!: string;
  @ApiProperty({ type: VmShapeDto }) shape!: VmShapeDto;
  @ApiProperty({ enum: ACCELS }) accel!: Accelerator;
  @ApiProperty({ enum: ['building', 'ready', 'failed'] }) state!: TemplateState;
  @ApiProperty() deviceStateBytes!: number;
  @ApiProperty() buildMs!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() children!: number;
  @ApiPropertyOptional() error?: string;
  @ApiPropertyOptional({ description: 'RAM copied whole from a forked child' })
  fullCopy?: boolean;
}

export class MemoryUsageModel implements MemoryUsage {
  @ApiProperty() privateMiB!: number;
  @ApiProperty() sharedMiB!: number;
}

export class ChildInfoModel implements ChildInfo {
  @ApiProperty() id!: string;
  @ApiProperty() templateId!: string;
  @ApiProperty() pid!: number;
  @ApiProperty({ enum: ['starting', 'running', 'paused', 'dead'] }) state!: ChildState;
  @ApiProperty() vncSocket!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() forkMs!: number;
  @ApiProperty() warm!: boolean;
  @ApiPropertyOptional({ description: 'CPU limit applied, in percent of one core' })
  cpuLimitPercent?: number;
  @ApiPropertyOptional({ type: MemoryUsageModel }) memory?: MemoryUsageModel;
}

export class ForkResponseModel implements ForkResponse {
  @ApiProperty({ type: [ChildInfoModel] }) children!: ChildInfoModel[];
  @ApiProperty() totalMs!: number;
}

export class ForkRunningResponseModel implements ForkRunningResponse {
  @ApiProperty({ type: TemplateInfoModel }) template!: TemplateInfoModel;
  @ApiProperty({ type: [ChildInfoModel] }) children!: ChildInfoModel[];
  @ApiProperty() totalMs!: number;
}

export class ExecResultModel implements ExecResult {
  @ApiProperty() exitCode!: number;
  @ApiProperty() stdout!: string;
  @ApiProperty() stderr!: string;
}

export class RevokeDisplayResponseModel implements RevokeDisplayResponse {
  @ApiProperty() closed!: number;
}

export class HostCapacityModel implements HostCapacity {
  @ApiProperty() hostname!: string;
  @ApiProperty({ enum: ACCELS }) accel!: Accelerator;
  @ApiProperty() totalMiB!: number;
  @ApiProperty() availableMiB!: number;
  @ApiProperty() reserveMiB!: number;
  @ApiProperty() children!: number;
  @ApiProperty() templates!: number;
  @ApiProperty() childrenPrivateMiB!: number;
}

export class HeartbeatModel implements Heartbeat {
  @ApiProperty() agentId!: string;
  @ApiProperty() agentVersion!: string;
  @ApiProperty({ format: 'date-time' }) sentAt!: string;
  @ApiProperty({ type: HostCapacityModel }) capacity!: HostCapacityModel;
  @ApiProperty({ type: [ChildInfoModel] }) vms!: ChildInfoModel[];
  @ApiProperty({ type: [TemplateInfoModel] }) templates!: TemplateInfoModel[];
}

export class HealthModel implements HealthStatus {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty() agentVersion!: string;
  @ApiProperty() uptimeS!: number;
}

export class FieldErrorModel implements FieldError {
  @ApiProperty() field!: string;
  @ApiProperty({ type: [String] }) messages!: string[];
}

export class ApiErrorModel implements ApiError {
  @ApiProperty() statusCode!: number;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: [FieldErrorModel] }) errors?: FieldErrorModel[];
}
