import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Check,
} from 'typeorm';
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

  @ManyToOne(() => GoldenImage, (i) => i.versions, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'image_id' })
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

  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
