import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'forkdesk:roles';
export const PUBLIC_KEY = 'forkdesk:public';

/** Only these roles may call the route (or every route of the controller). */
export const Roles = (...roles: ('admin' | 'user')[]) => SetMetadata(ROLES_KEY, roles);

/** No session needed (login, health, agent routes with their own bearer check). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
