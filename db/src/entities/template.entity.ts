import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, RefersTo } from './columns';
import { Agent } from './agent.entity';
import { TemplateState } from './enums';
import { ImageVersion } from './image-version.entity';

/** A frozen parent VM on one agent: image version × VM shape × accelerator. */
@Entity('templates')
@Index('uq_templates_live_key', ['agentId', 'imageVersionId', 'vcpus', 'memoryMib', 'accel'], {
  unique: true,
  where: `"state" <> 'deleted'`,
})
@Index('uq_templates_agent_ref', ['agentId', 'agentTemplateId'], { unique: true })
export class Template {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  agentId!: string;

  @RefersTo(() => Agent, 'CASCADE')
  agent?: Agent;

  /** The template's id on its agent. */
  @Column({ type: 'varchar', length: 128 })
  agentTemplateId!: string;

  @Column({ type: 'uuid' })
  imageVersionId!: string;

  @RefersTo(() => ImageVersion, 'RESTRICT')
  imageVersion?: ImageVersion;

  @Column({ type: 'integer' })
  vcpus!: number;

  @Column({ type: 'integer' })
  memoryMib!: number;

  @Column({ type: 'varchar', length: 8 })
  accel!: string;

  @Column({
    type: 'enum',
    enum: TemplateState,
    enumName: 'template_state',
    default: TemplateState.Building,
  })
  state!: TemplateState;

  @Column({ type: 'bigint', default: 0 })
  deviceStateBytes!: string;

  @Column({ type: 'integer', default: 0 })
  buildMs!: number;

  @CreatedAt()
  createdAt!: Date;
}
