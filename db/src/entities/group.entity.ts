import { Entity, OneToMany } from 'typeorm';
import { NamedRow } from './columns';
import type { Membership } from './membership.entity';

@Entity('groups')
export class Group extends NamedRow {
  @OneToMany('Membership', (m: Membership) => m.group)
  memberships?: Membership[];
}
