import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { generateJwk } from '@interledger/http-signature-utils';
import type { Database } from '../../persistence/database';
import type { Clock } from '../../shared/clock';
import { newId } from '../../shared/ids';
import type { Ed25519Jwk } from '../wallet-addresses/wallet-address.entity';
import { InstanceKey } from './instance-key.entity';

export const INSTANCE_WALLET_PATH = '/.well-known/pay';

export interface InstanceSigner {
  privateKey: KeyObject;
  keyId: string;
  jwk: Ed25519Jwk;
}

/** The instance wallet address and its key (created once, by whichever process starts first). */
export class InstanceIdentity {
  private signer: Promise<InstanceSigner> | null = null;

  constructor(
    private readonly db: Database,
    private readonly base: () => string,
    private readonly clock: Clock,
  ) {}

  walletAddressUrl(): string {
    return `${this.base()}${INSTANCE_WALLET_PATH}`;
  }

  key(): Promise<InstanceSigner> {
    this.signer ??= this.loadOrCreate().catch((error) => {
      this.signer = null;
      throw error;
    });
    return this.signer;
  }

  private async loadOrCreate(): Promise<InstanceSigner> {
    const found = await this.db.reader().findOne(InstanceKey, { id: 'instance' });
    if (found) return { privateKey: createPrivateKey(found.privateKey), keyId: found.kid, jwk: found.jwk };
    const { privateKey } = generateKeyPairSync('ed25519');
    const kid = newId('ik');
    const { kid: _k, ...pub } = generateJwk({ privateKey, keyId: kid });
    const jwk = { kid, kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', x: pub.x } as Ed25519Jwk;
    try {
      await this.db.reader().insert(InstanceKey, { id: 'instance', kid, privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), jwk, createdAt: this.clock.now() });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return this.loadOrCreate();
    }
    return { privateKey, keyId: kid, jwk };
  }
}
