import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/roles.decorator';
import { type Actor, CurrentActor } from '../common/actor';
import { UuidParam } from '../common/uuid-param';
import { GroupsService } from './groups.service';
import {
  AddMemberDto,
  CreateGroupDto,
  CreateUserDto,
  GroupView,
  UpdateUserDto,
  UserView,
} from './users.dto';
import { UsersService } from './users.service';

@ApiTags('admin')
@Roles('admin')
@Controller('api/admin/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Post()
  create(@Body() dto: CreateUserDto, @CurrentActor() actor: Actor): Promise<UserView> {
    return this.users.create(dto, actor);
  }

  @Patch(':id')
  update(
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdateUserDto,
    @CurrentActor() actor: Actor,
  ): Promise<UserView> {
    return this.users.update(id, dto, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', UuidParam) id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.users.remove(id, actor);
  }
}

@ApiTags('admin')
@Roles('admin')
@Controller('api/admin/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  list(): Promise<GroupView[]> {
    return this.groups.list();
  }

  @Post()
  create(@Body() dto: CreateGroupDto, @CurrentActor() actor: Actor): Promise<GroupView> {
    return this.groups.create(dto, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', UuidParam) id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.groups.remove(id, actor);
  }

  @Post(':id/members')
  @HttpCode(204)
  addMember(
    @Param('id', UuidParam) id: string,
    @Body() dto: AddMemberDto,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    return this.groups.addMember(id, dto.userId, actor);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  removeMember(
    @Param('id', UuidParam) id: string,
    @Param('userId', UuidParam) userId: string,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    return this.groups.removeMember(id, userId, actor);
  }
}
