import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, NullableTime, RefersTo } from './columns';
import { ImageVersionState } from './enums';
import { GoldenImage } from './golden-image.entity';

@Entity('image_versions')
@Index('uq_image_versions_image_version', ['imageId', 'version'], { unique: true })
@Check('ck_image_versions_version_positive', '"version" > 0')
export class ImageVersion {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  imageId!: string;

  @RefersTo(() => GoldenImage, 'RESTRICT', { inverse: (i) => i.versions })
  image?: GoldenImage;

  @Column({ type: 'integer' })
  version!: number;

  @Column({
    type: 'enum',
    enum: ImageVersionState,
    enumName: 'image_version_state',
    default: ImageVersionState.Importing,
  })
  state!: ImageVersionState;

  /** The image builder's manifest: recipe hash, kernel, packages, build time. */
  @Column({ type: 'jsonb', default: {} })
  manifest!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 64, nullable: true })
  recipeHash!: string | null;

  @Column({ type: 'text' })
  diskPath!: string;

  @Column({ type: 'text', nullable: true })
  kernelPath!: string | null;

  @Column({ type: 'text', nullable: true })
  initrdPath!: string | null;

  @Column({ type: 'bigint', default: 0 })
  sizeBytes!: string;

  @NullableTime()
  publishedAt!: Date | null;

  @CreatedAt()
  createdAt!: Date;
}
