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
import { UserRole } from '@forkdesk/db';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const NAME_RULE = 'must be 1-64 letters, digits or . _ @ - (starting with a letter or digit)';

export class CreateUserDto {
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

export class UpdateUserDto {
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

export class CreateGroupDto {
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

export class AddMemberDto {
  @ApiProperty()
  @IsUUID()
  userId!: string;
}

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
  disabled: boolean;
  lockedUntil: Date | null;
  createdAt: Date;
  groups: { id: string; name: string }[];
}

export interface GroupView {
  id: string;
  name: string;
  description: string;
  members: { id: string; username: string }[];
}
