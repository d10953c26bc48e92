import { Module } from '@nestjs/common';
import { DisplaysModule } from '../displays/displays.module';
import { GroupsService } from './groups.service';
import { GroupsController, UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [DisplaysModule],
  controllers: [UsersController, GroupsController],
  providers: [UsersService, GroupsService],
})
export class UsersModule {}
