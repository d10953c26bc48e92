import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { ImageVersion } from './image-version.entity';

@Entity('golden_images')
export class GoldenImage {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @OneToMany('ImageVersion', (v: ImageVersion) => v.image)
  versions?: ImageVersion[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
