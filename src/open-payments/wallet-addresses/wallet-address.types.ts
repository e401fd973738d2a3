import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { ConnectionType, UserError } from '../../graphql/common.types';
import type { WalletAddress, WalletAddressKey } from './wallet-address.entity';

@ObjectType('WalletAddressKey', { description: 'A public Ed25519 key the wallet address holder signs Open Payments requests with.' })
export class WalletAddressKeyView {
  @Field({ description: 'Key id (the JWK `kid`), as signatures name it.' })
  kid!: string;

  @Field({ description: 'JWK key type: always `OKP`.' })
  kty!: string;

  @Field({ description: 'JWK curve: always `Ed25519`.' })
  crv!: string;

  @Field({ description: 'JWK algorithm: always `EdDSA`.' })
  alg!: string;

  @Field({ description: 'The public key, base64url.' })
  x!: string;

  @Field({ description: 'When the key was added.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; a revoked key is no longer published and verifies nothing.' })
  revokedAt!: Date | null;
}

export function walletAddressKeyView(key: WalletAddressKey): WalletAddressKeyView {
  return { kid: key.kid, kty: key.jwk.kty, crv: key.jwk.crv, alg: key.jwk.alg, x: key.jwk.x, createdAt: key.createdAt, revokedAt: key.revokedAt };
}

@ObjectType('WalletAddress', { description: 'The public Open Payments address of an account (`{base}/wallet/{name}`).' })
export class WalletAddressView {
  @Field(() => ID, { description: 'Wallet address id, `wa_…`.' })
  id!: string;

  @Field({ description: 'The wallet address URL clients use.' })
  url!: string;

  @Field(() => ID, { description: 'The account it receives into and pays from, `acct_…`.' })
  accountId!: string;

  @Field({ description: 'The name shown to others, e.g. on consent pages when it acts as a client.' })
  publicName!: string;

  @Field({ description: 'When it was created.' })
  createdAt!: Date;
}

export function walletAddressView(wa: WalletAddress, urlOf: (slug: string) => string): WalletAddressView {
  return { id: wa.id, url: urlOf(wa.slug), accountId: wa.accountId, publicName: wa.publicName, createdAt: wa.createdAt };
}

export const WalletAddressConnection = ConnectionType('WalletAddress', WalletAddressView);
export type WalletAddressConnection = InstanceType<typeof WalletAddressConnection>;

@InputType({ description: 'Gives one of your accounts (or your payer’s) its Open Payments wallet address.' })
export class CreateWalletAddressInput {
  @Field(() => ID, { description: 'The account, `acct_…`.' })
  accountId!: string;

  @Field(() => String, { nullable: true, description: 'The last part of the URL: 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit; the account id in lower case by default.' })
  slug?: string | null;

  @Field({ description: 'The name shown to others, 1 to 200 characters.' })
  publicName!: string;
}

@InputType({ description: 'An Ed25519 public key as a JWK.' })
export class JwkInput {
  @Field({ description: 'Key id, 1 to 200 visible ASCII characters, unique per wallet address.' })
  kid!: string;

  @Field({ description: 'Must be `OKP`.' })
  kty!: string;

  @Field({ description: 'Must be `Ed25519`.' })
  crv!: string;

  @Field({ description: 'Must be `EdDSA`.' })
  alg!: string;

  @Field({ description: 'The 32-byte public key, base64url without padding.' })
  x!: string;

  @Field(() => String, { nullable: true, description: 'Optional; only `sig`.' })
  use?: string | null;
}

@InputType({ description: 'Publishes a key at the wallet address’s jwks.json.' })
export class AddWalletAddressKeyInput {
  @Field(() => ID, { description: 'The wallet address, `wa_…`.' })
  walletAddressId!: string;

  @Field(() => JwkInput, { description: 'The public key.' })
  jwk!: JwkInput;
}

@InputType({ description: 'Stops publishing a key; requests signed with it are refused from then on.' })
export class RevokeWalletAddressKeyInput {
  @Field(() => ID, { description: 'The wallet address, `wa_…`.' })
  walletAddressId!: string;

  @Field({ description: 'The key id.' })
  kid!: string;
}

@ObjectType({ description: 'The wallet address, or why not.' })
export class WalletAddressPayload {
  @Field(() => WalletAddressView, { nullable: true, description: 'The wallet address; null on error.' })
  walletAddress!: WalletAddressView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}

@ObjectType({ description: 'The key, or why not.' })
export class WalletAddressKeyPayload {
  @Field(() => WalletAddressKeyView, { nullable: true, description: 'The key; null on error.' })
  key!: WalletAddressKeyView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}

