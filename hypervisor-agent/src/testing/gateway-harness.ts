import { randomBytes } from 'crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DisplayGateway, GatewayOptions } from '../gateway/server';
import { DisplayMode, DisplayTicket, newTicketNonce, signTicket } from '@forkdesk/agent-contract';

/** A gateway on loopback whose resolver maps desktop ids to test VMs' VNC sockets. */
export async function startTestGateway(
  desktops: Map<string, string>,
  extra: Partial<GatewayOptions> = {},
): Promise<{
  gateway: DisplayGateway;
  port: number;
  ticket: (desktop: string, mode?: DisplayMode, over?: Partial<DisplayTicket>) => string;
  secret: Buffer;
  registry: Registry;
}> {
  const secret = randomBytes(32);
  const registry = new Registry();
  const gateway = new DisplayGateway({
    resolver: {
      resolve: async (id) =>
        desktops.has(id) ? { vncSocket: desktops.get(id) as string } : undefined,
    },
    ticketSecret: secret,
    logger: pino({ level: process.env.FORKDESK_TEST_LOG ?? 'silent' }),
    registry,
    ...extra,
  });
  const port = await gateway.listen(0, '127.0.0.1');
  const ticket = (
    desktop: string,
    mode: DisplayMode = 'control',
    over: Partial<DisplayTicket> = {},
  ): string => {
    const t = {
      user: 'alice',
      desktop,
      mode,
      exp: Date.now() + 30_000,
      nonce: newTicketNonce(),
      ...over,
    };
    // Signed as of 30 s before expiry, so tests can mint expired and too-far-ahead tickets too.
    return signTicket(t, secret, t.exp - 30_000);
  };
  return { gateway, port, ticket, secret, registry };
}
