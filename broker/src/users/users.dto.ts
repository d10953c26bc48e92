import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import type * as contract from '@forkdesk/broker-contract';
import { UserRole } from '@forkdesk/db';

export type UserView = contract.UserView<Date>;
export type { GroupView } from '@forkdesk/broker-contract';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const NAME_RULE = 'must be 1-64 letters, digits or . _ @ - (starting with a letter or digit)';

export class CreateUserDto implements contract.CreateUserRequest {
  @ApiProperty({ example: 'alice' })
  @IsString()
  @Matches(NAME, { message: `username ${NAME_RULE}` })
  username!: string;

  @ApiPropertyOptional({ example: 'Alice Martin' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  displayName?: string;

  @ApiProperty({ minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({ enum: UserRole, default: UserRole.User })
  @IsOptional()
  @IsEnum(UserRole)
  role?: UserRole;
}

export class UpdateUserDto implements contract.UpdateUserRequest {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  displayName?: string;

  @ApiPropertyOptional({ minLength: 8 })
  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ enum: UserRole })
  @IsOptional()
  @IsEnum(UserRole)
  role?: UserRole;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class CreateGroupDto implements contract.CreateGroupRequest {
  @ApiProperty({ example: 'engineering' })
  @IsString()
  @Matches(NAME, { message: `name ${NAME_RULE}` })
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

export class AddMemberDto implements contract.AddMemberRequest {
  @ApiProperty()
  @IsUUID()
  userId!: string;
}
