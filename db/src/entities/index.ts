import { Agent } from './agent.entity';
import { AuthSession } from './auth-session.entity';
import { AuditEvent } from './audit-event.entity';
import { Desktop } from './desktop.entity';
import { DesktopSession } from './desktop-session.entity';
import { Entitlement } from './entitlement.entity';
import { GoldenImage } from './golden-image.entity';
import { Group } from './group.entity';
import { ImageVersion } from './image-version.entity';
import { Membership } from './membership.entity';
import { Pool } from './pool.entity';
import { Setting } from './setting.entity';
import { Template } from './template.entity';
import { User } from './user.entity';
import { UserDiskLease } from './user-disk-lease.entity';

export * from './enums';
export {
  Agent,
  AuthSession,
  AuditEvent,
  Desktop,
  DesktopSession,
  Entitlement,
  GoldenImage,
  Group,
  ImageVersion,
  Membership,
  Pool,
  Setting,
  Template,
  User,
  UserDiskLease,
};

export const ENTITIES = [
  User,
  Group,
  Membership,
  GoldenImage,
  ImageVersion,
  Pool,
  Entitlement,
  Agent,
  Template,
  Desktop,
  DesktopSession,
  AuditEvent,
  Setting,
  AuthSession,
  UserDiskLease,
];
