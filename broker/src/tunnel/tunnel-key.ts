import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Setting } from '@forkdesk/db';
import { randomBytes } from 'crypto';
import { DataSource } from 'typeorm';
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
    private readonly ds: DataSource,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.tunnelKey) {
      this.key = Buffer.from(this.config.tunnelKey, 'base64');
      return;
    }
    await this.ds.query(
      `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING`,
      [SETTING, JSON.stringify(randomBytes(32).toString('base64'))],
    );
    const s = await this.ds.getRepository(Setting).findOneByOrFail({ key: SETTING });
    this.key = Buffer.from(String(s.value), 'base64');
  }

  get(): Buffer {
    if (!this.key) throw new Error('tunnel key not loaded yet');
    return this.key;
  }
}
