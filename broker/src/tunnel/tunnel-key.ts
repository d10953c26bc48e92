import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'crypto';
import { SettingsRepository } from '../common/settings.repository';
import { BROKER_CONFIG, type BrokerConfig } from '../config';

const SETTING = 'tunnel.key';

/**
 * The AES key of tunnel tokens. Every broker must share it (a token made by one may be
 * opened on another), so without FORKDESK_TUNNEL_KEY the first broker stores one in the
 * settings table and the others read it.
 */
@Injectable()
export class TunnelKey implements OnModuleInit {
  private key?: Buffer;

  constructor(
    private readonly settings: SettingsRepository,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.tunnelKey) {
      this.key = Buffer.from(this.config.tunnelKey, 'base64');
      return;
    }
    await this.settings.insertIfAbsent(SETTING, randomBytes(32).toString('base64'));
    const stored = await this.settings.get<string>(SETTING);
    if (stored === undefined) throw new Error('the tunnel key setting vanished as it was stored');
    this.key = Buffer.from(String(stored), 'base64');
  }

  get(): Buffer {
    if (!this.key) throw new Error('tunnel key not loaded yet');
    return this.key;
  }
}
