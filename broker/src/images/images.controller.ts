import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/roles.decorator';
import { type Actor, CurrentActor } from '../common/actor';
import { UuidParam } from '../common/uuid-param';
import { CreateImageDto, ImageView, ImportVersionDto, VersionView } from './images.dto';
import { ImagesService } from './images.service';

@ApiTags('admin')
@Roles('admin')
@Controller('api/admin')
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  @Get('images')
  list(): Promise<ImageView[]> {
    return this.images.list();
  }

  @Post('images')
  create(@Body() dto: CreateImageDto, @CurrentActor() actor: Actor): Promise<ImageView> {
    return this.images.create(dto, actor);
  }

  @Get('images/:id/versions')
  versions(@Param('id', UuidParam) id: string): Promise<VersionView[]> {
    return this.images.versions(id);
  }

  @Post('images/:id/versions')
  importVersion(
    @Param('id', UuidParam) id: string,
    @Body() dto: ImportVersionDto,
    @CurrentActor() actor: Actor,
  ): Promise<VersionView> {
    return this.images.importVersion(id, dto, actor);
  }

  @Post('versions/:id/publish')
  @HttpCode(200)
  publish(@Param('id', UuidParam) id: string, @CurrentActor() actor: Actor): Promise<VersionView> {
    return this.images.publish(id, actor);
  }

  @Post('versions/:id/rollback')
  @HttpCode(200)
  rollback(@Param('id', UuidParam) id: string, @CurrentActor() actor: Actor): Promise<VersionView> {
    return this.images.rollback(id, actor);
  }

  @Post('versions/:id/retire')
  @HttpCode(200)
  retire(@Param('id', UuidParam) id: string, @CurrentActor() actor: Actor): Promise<VersionView> {
    return this.images.retire(id, actor);
  }
}
