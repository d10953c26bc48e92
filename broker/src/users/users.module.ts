import { Module } from '@nestjs/common';
import { GroupsService } from './groups.service';
import { GroupsController, UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController, GroupsController],
  providers: [UsersService, GroupsService],
})
export class UsersModule {}
