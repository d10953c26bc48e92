import {
  BadRequestException,
  ConflictException,
  HttpException,
  Inject,
  Injectable,
  InternalServerErrorException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import {
  certificateFingerprint,
  newDisplayKey,
  type EnrollmentResponse,
  type Heartbeat,
  type HeartbeatReply,
} from '@forkdesk/agent-contract';
import { Agent, AgentState, DesktopState as S } from '@forkdesk/db';
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { type Actor, SYSTEM } from '../common/actor';
import { isDatabaseUnavailable, isUniqueViolation } from '../common/errors';
import { LOGGER } from '../common/logger';
import { BROKER_CONFIG, type BrokerConfig } from '../config';
import { DesktopStateMachine } from '../lifecycle/desktop-state';
import { DiskLeases } from '../lifecycle/disk-leases';
import { LOST_WITH_AGENT } from '../lifecycle/desktop-states';
import { AGENT_CLIENT, type AgentClient } from './agent-client';
import { AgentsRepository } from './agents.repository';
import type { AgentView, EnrollDto } from './agents.dto';
import { PkiService } from './pki/pki.service';
import { syncTemplates } from './template-sync';
import { TemplatesRepository } from './templates.repository';

/** How far an agent's clock may be behind ours when it dates a heartbeat. */
const HEARTBEAT_SKEW_MS = 5_000;

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

const agentActor = (a: { name: string }): Actor => ({
  userId: null,
  name: `agent:${a.name}`,
  ip: null,
});

/** Constant time: both sides are 64 hex characters whatever the token given. */
const matchesHash = (token: string, hash: string): boolean => {
  const x = Buffer.from(sha256(token));
  const y = Buffer.from(hash);
  return x.length === y.length && timingSafeEqual(x, y);
};

@Injectable()
export class AgentsService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: AgentsRepository,
    private readonly templates: TemplatesRepository,
    private readonly audit: AuditService,
    private readonly states: DesktopStateMachine,
    private readonly leases: DiskLeases,
    @Inject(AGENT_CLIENT) private readonly client: AgentClient,
    private readonly pki: PkiService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** A one-time token an admin hands to a new agent; only its hash is kept. */
  async createEnrollmentToken(
    name: string | undefined,
    actor: Actor,
  ): Promise<{ token: string; agentId: string }> {
    const token = randomBytes(32).toString('base64url');
    try {
      return await this.ds.transaction(async (tx) => {
        const agent = await tx.save(
          tx.create(Agent, {
            name: name ?? `pending-${randomBytes(4).toString('hex')}`,
            state: AgentState.Enrolling,
            enrollmentTokenHash: sha256(token),
          }),
        );
        await this.audit.record(tx, actor, {
          action: 'agent.enrollment_token',
          targetType: 'agent',
          targetId: agent.id,
          details: { name: agent.name },
        });
        return { token, agentId: agent.id };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictException(`agent "${name}" already exists`);
      throw err;
    }
  }

  /** Trades the one-time token for credentials; the token is spent in the same transaction. */
  async enroll(dto: EnrollDto, ip: string | null): Promise<EnrollmentResponse> {
    const apiToken = randomBytes(32).toString('base64url');
    // A second secret for the other direction: the broker only verifies it, so keeps its hash.
    const heartbeatToken = randomBytes(32).toString('base64url');
    const displayKey = newDisplayKey();
    const [gatewayHost, gatewayPort] = dto.gatewayAddress
      ? [dto.gatewayAddress.replace(/:[0-9]+$/, ''), Number(dto.gatewayAddress.split(':').pop())]
      : [null, null];
    const ca = dto.csr ? await this.pki.authority() : undefined;
    return this.ds.transaction(async (tx) => {
      const agent = await tx.findOne(Agent, {
        where: { enrollmentTokenHash: sha256(dto.enrollmentToken), state: AgentState.Enrolling },
        lock: { mode: 'pessimistic_write' },
      });
      if (!agent) throw new UnauthorizedException('unknown or already used enrollment token');
      // Signed before anything is saved: a bad request spends no token.
      let certificate: string | undefined;
      if (ca && dto.csr) {
        const apiHost = new URL(dto.apiUrl).hostname;
        if (dto.apiUrl.startsWith('http:'))
          throw new BadRequestException(['apiUrl must be https when a csr is sent']);
        try {
          certificate = await ca.signAgentCsr(dto.csr, agent.id, [apiHost]);
        } catch (err) {
          throw new BadRequestException([(err as Error).message]);
        }
      }
      if (agent.name.startsWith('pending-')) {
        const taken = await tx.existsBy(Agent, { name: dto.hostname });
        agent.name = taken ? `${dto.hostname}-${agent.id.slice(0, 8)}` : dto.hostname;
      }
      Object.assign(agent, {
        enrollmentTokenHash: null,
        apiUrl: dto.apiUrl.replace(/\/+$/, ''),
        apiToken,
        heartbeatTokenHash: sha256(heartbeatToken),
        displayKey,
        gatewayHost,
        gatewayPort,
        state: AgentState.Active,
      });
      await tx.save(agent);
      await this.audit.record(
        tx,
        { ...agentActor(agent), ip },
        {
          action: 'agent.enroll',
          targetType: 'agent',
          targetId: agent.id,
          details: {
            apiUrl: agent.apiUrl,
            gateway: dto.gatewayAddress ?? null,
            version: dto.agentVersion,
            certificate: certificate ? await certificateFingerprint(certificate) : null,
          },
        },
      );
      const tokens = { agentId: agent.id, apiToken, heartbeatToken, displayKey };
      return certificate && ca ? { ...tokens, certificate, caCertificate: ca.certificate } : tokens;
    });
  }

  /** The agent whose id and heartbeat token (checked against its hash) these are, or 401. */
  async authenticate(agentId: string, token: string | undefined): Promise<Agent> {
    const agent = /^[0-9a-f-]{36}$/.test(agentId) ? await this.repo.findById(agentId) : null;
    if (!agent?.heartbeatTokenHash || !token || !matchesHash(token, agent.heartbeatTokenHash))
      throw new UnauthorizedException('invalid agent credentials');
    return agent;
  }

  /**
   * What the agent really runs becomes the truth: capacity, templates, desktops. A heartbeat
   * the broker cannot take is logged with its cause, put on the agent's card and audited (once
   * per distinct cause), and the agent hears the reason.
   */
  async heartbeat(agent: Agent, hb: Heartbeat): Promise<HeartbeatReply> {
    try {
      return await this.acceptHeartbeat(agent, hb);
    } catch (err) {
      if (err instanceof HttpException || isDatabaseUnavailable(err)) throw err;
      const cause = err instanceof Error ? err.message : String(err);
      this.log.error({ err, agent: agent.name }, 'heartbeat handling failed');
      const problem = `Its heartbeat was refused: ${cause.replace(/[.\s]+$/, '')}.`;
      await this.noteProblem(agent, 'agent.heartbeat_refused', problem).catch((e: unknown) =>
        this.log.error({ err: e, agent: agent.name }, 'could not record a refused heartbeat'),
      );
      throw new InternalServerErrorException(problem);
    }
  }

  /** Shows `problem` on the agent's card, audited when it differs from the one shown. */
  private async noteProblem(agent: Agent, action: string, problem: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      if (!(await this.repo.setProblem(tx, agent.id, problem))) return;
      await this.audit.record(tx, agentActor(agent), {
        action,
        targetType: 'agent',
        targetId: agent.id,
        details: { name: agent.name, reason: problem },
      });
    });
  }

  private async acceptHeartbeat(agent: Agent, hb: Heartbeat): Promise<HeartbeatReply> {
    const actor = agentActor(agent);
    const { orphans, lost, leases } = await this.ds.transaction(async (tx) => {
      const before = await tx.findOneOrFail(Agent, {
        where: { id: agent.id },
        lock: { mode: 'pessimistic_write' },
      });
      await tx.update(
        Agent,
        { id: agent.id },
        {
          state: AgentState.Active,
          problem: null,
          problemAt: null,
          accel: hb.capacity.accel,
          totalMib: Math.round(hb.capacity.totalMiB),
          availableMib: Math.round(hb.capacity.availableMiB),
          reserveMib: Math.round(hb.capacity.reserveMiB),
          lastHeartbeatAt: new Date(),
        },
      );
      if (before.state !== AgentState.Active || before.problem) {
        await this.audit.record(tx, actor, {
          action: 'agent.active',
          targetType: 'agent',
          targetId: agent.id,
          details: { from: before.state, problem: before.problem },
        });
      }
      await syncTemplates(this.templates, tx, agent.id, hb.templates);
      const synced = await this.syncDesktops(tx, agent.id, hb, actor);
      const running = hb.vms.filter((v) => v.state !== 'dead').map((v) => v.id);
      return { ...synced, leases: await this.leases.renew(tx, agent.id, running) };
    });
    for (const vmId of orphans) void this.destroyOrphan(agent, vmId, 'agent.orphan_destroyed');
    // A VM whose process died (its desktop is lost now) still has its directory, delta disk and
    // network on the host: removed here, not only at the agent's next start or a purge.
    for (const v of hb.vms.filter((vm) => vm.state === 'dead'))
      void this.destroyOrphan(agent, v.id, 'agent.dead_vm_removed');
    return { orphans: orphans.length, lost, leases };
  }

  private async syncDesktops(
    tx: EntityManager,
    agentId: string,
    hb: Heartbeat,
    actor: Actor,
  ): Promise<{ orphans: string[]; lost: number }> {
    const running = new Map(hb.vms.filter((v) => v.state !== 'dead').map((v) => [v.id, v]));
    // Only desktops recorded before the agent listed its VMs can be judged by that list: a fork
    // that finished while the heartbeat was in flight is not in it yet (margin for clock skew).
    const sent = Date.parse(hb.sentAt);
    const listedAt = new Date((Number.isFinite(sent) ? sent : Date.now()) - HEARTBEAT_SKEW_MS);
    const known = await this.repo.heldDesktops(tx, agentId);
    let lost = 0;
    for (const d of known) {
      const vm = running.get(d.vmId);
      if (!vm && d.readyAt && d.readyAt >= listedAt) continue;
      if (vm) {
        if (vm.memory)
          await this.repo.setDesktopMemory(tx, d.id, vm.memory.privateMiB, vm.memory.sharedMiB);
      } else if (d.state === S.Destroying) {
        await this.states.move(
          tx,
          d.id,
          [S.Destroying],
          S.Destroyed,
          actor,
          {},
          { reason: 'gone on agent' },
        );
      } else if (
        await this.states.move(tx, d.id, [S.Ready, S.Assigned, S.InUse], S.Lost, actor, {
          last_error: 'the agent no longer runs this desktop',
        })
      ) {
        lost++;
      }
    }
    const claimed = new Set(known.map((d) => d.vmId));
    const graceMs = this.config.agents.orphanGraceS * 1000;
    // A fork that finished on the agent but not yet in our database is not an orphan: grace.
    const orphans = [...running.values()]
      .filter((v) => !claimed.has(v.id) && Date.now() - Date.parse(v.createdAt) >= graceMs)
      .map((v) => v.id);
    return { orphans, lost };
  }

  private async destroyOrphan(agent: Agent, vmId: string, action: string): Promise<void> {
    try {
      await this.client.destroy({ apiUrl: agent.apiUrl!, apiToken: agent.apiToken! }, vmId);
      await this.ds.transaction((tx) =>
        this.audit.record(tx, agentActor(agent), {
          action,
          targetType: 'agent',
          targetId: agent.id,
          details: { vmId },
        }),
      );
    } catch (err) {
      this.log.warn({ err, agent: agent.name, vmId, action }, 'could not remove a VM on its agent');
    }
  }

  /** Silent agents: drained (no new desktops), later lost with their desktops. */
  async checkSilent(): Promise<void> {
    const { heartbeatTimeoutS, lostAfterS } = this.config.agents;
    await this.ds.transaction(async (tx) => {
      const drained = await this.repo.markSilent(
        tx,
        [AgentState.Active],
        AgentState.Draining,
        heartbeatTimeoutS,
        `No heartbeat for ${heartbeatTimeoutS} s: no new desktops go to it until it reports again (is its agent running and able to reach the broker?).`,
      );
      for (const a of drained) {
        await this.audit.record(tx, SYSTEM, {
          action: 'agent.drain',
          targetType: 'agent',
          targetId: a.id,
          details: { name: a.name, reason: `no heartbeat for ${heartbeatTimeoutS} s` },
        });
      }
      const lost = await this.repo.markSilent(
        tx,
        [AgentState.Active, AgentState.Draining],
        AgentState.Lost,
        lostAfterS,
        `No heartbeat for ${lostAfterS} s: its desktops were marked lost; start its agent again to bring it back.`,
      );
      for (const a of lost) {
        await this.audit.record(tx, SYSTEM, {
          action: 'agent.lost',
          targetType: 'agent',
          targetId: a.id,
          details: { name: a.name },
        });
        for (const id of await this.repo.desktopsLostWith(tx, a.id)) {
          await this.states.move(tx, id, LOST_WITH_AGENT, S.Lost, SYSTEM, {
            last_error: 'its agent went silent',
          });
        }
      }
    });
  }

  async list(): Promise<AgentView[]> {
    const agents = await this.repo.listByName();
    return Promise.all(
      agents.map(async (a) => ({
        id: a.id,
        name: a.name,
        state: a.state,
        apiUrl: a.apiUrl,
        gateway: a.gatewayHost ? `${a.gatewayHost}:${a.gatewayPort}` : null,
        accel: a.accel,
        totalMib: a.totalMib,
        availableMib: a.availableMib,
        reserveMib: a.reserveMib,
        lastHeartbeatAt: a.lastHeartbeatAt,
        problem: a.problem,
        problemAt: a.problemAt,
        ...(await this.repo.cardLists(a.id)),
      })),
    );
  }

  async get(id: string): Promise<Agent> {
    const a = await this.repo.findById(id);
    if (!a) throw new NotFoundException('agent not found');
    return a;
  }
}
