export { DisplayGateway, DesktopResolver, GatewayOptions } from './server';
export { GuacStatus } from './guacamole/status';
