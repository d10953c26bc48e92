import { Check, Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, UpdatedAt, RefersTo } from './columns';
import { AssignmentMode, NetworkMode, RefreshPolicy } from './enums';
import { GoldenImage } from './golden-image.entity';
import { ImageVersion } from './image-version.entity';

@Entity('pools')
@Check('ck_pools_shape', '"vcpus" > 0 AND "memory_mib" >= 64')
@Check('ck_pools_size', '"min_spare" >= 0 AND "max_size" >= "min_spare" AND "max_size" > 0')
@Check('ck_pools_idle_timeout', '"idle_timeout_min" >= 0')
@Check(
  'ck_pools_cpu_limit',
  '"cpu_limit_percent" IS NULL OR ("cpu_limit_percent" >= 10 AND "cpu_limit_percent" <= "vcpus" * 100)',
)
export class Pool {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  name!: string;

  @Column({ type: 'uuid' })
  imageId!: string;

  @RefersTo(() => GoldenImage, 'RESTRICT')
  image?: GoldenImage;

  /** The version desktops are forked from; null follows the newest published version. */
  @Column({ type: 'uuid', nullable: true })
  imageVersionId!: string | null;

  @RefersTo(() => ImageVersion, 'RESTRICT')
  imageVersion?: ImageVersion;

  @Column({ type: 'integer', default: 1 })
  vcpus!: number;

  @Column({ type: 'integer', default: 1024 })
  memoryMib!: number;

  /**
   * The most CPU one desktop may use, in percent of one core (50: half a core); null: no
   * limit. A desktop keeps the limit it was forked with.
   */
  @Column({ type: 'integer', nullable: true })
  cpuLimitPercent!: number | null;

  @Column({ type: 'integer', default: 1 })
  minSpare!: number;

  @Column({ type: 'integer', default: 10 })
  maxSize!: number;

  @Column({
    type: 'enum',
    enum: RefreshPolicy,
    enumName: 'refresh_policy',
    default: RefreshPolicy.OnLogoff,
  })
  refreshPolicy!: RefreshPolicy;

  /**
   * Disconnect timeout: minutes a desktop may stay without its owner's display connection
   * (disconnected, or assigned and never connected) before it is logged off; 0 never.
   */
  @Column({ type: 'integer', default: 60 })
  idleTimeoutMin!: number;

  @Column({
    type: 'enum',
    enum: AssignmentMode,
    enumName: 'assignment_mode',
    default: AssignmentMode.Floating,
  })
  assignmentMode!: AssignmentMode;

  /** Each user's home is a persistent disk, attached to one desktop at a time (a lease). */
  @Column({ type: 'boolean', default: false })
  persistentHome!: boolean;

  @Column({
    type: 'enum',
    enum: NetworkMode,
    enumName: 'network_mode',
    default: NetworkMode.Restricted,
  })
  networkMode!: NetworkMode;

  @CreatedAt()
  createdAt!: Date;

  @UpdatedAt()
  updatedAt!: Date;
}
