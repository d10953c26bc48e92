import { Entity, OneToMany } from 'typeorm';
import { NamedRow } from './columns';
import type { ImageVersion } from './image-version.entity';

@Entity('golden_images')
export class GoldenImage extends NamedRow {
  @OneToMany('ImageVersion', (v: ImageVersion) => v.image)
  versions?: ImageVersion[];
}
