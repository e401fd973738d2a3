import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ConnectionType, UserError } from '../graphql/common.types';
import type { Client } from './client.entity';
import { PAYER_CONSENT_SCOPES } from './scopes';

@ObjectType('ManagedClient', { description: 'A client as an operator manages it (clients:manage). Secrets are never shown here.' })
export class ManagedClientView {
  @Field(() => ID, { description: 'The client id used with OAuth2.' })
  id!: string;

  @Field({ description: 'Name shown to payers on consent and checkout pages.' })
  name!: string;

  @Field({ description: 'A public client (browser or mobile app) has no secret and must use PKCE.' })
  public!: boolean;

  @Field({ description: 'Whether the operator checked who runs this client; payers see it.' })
  verified!: boolean;

  @Field(() => [String], { description: 'Scopes the client may ask for, for itself and (the consent scopes among them) of a payer.' })
  scopes!: string[];

  @Field(() => [String], { description: 'The scopes among `scopes` that the client may ask a payer to consent to.' })
  payerScopes!: string[];

  @Field(() => [String], { description: 'Redirect URIs registered for the authorization code grant.' })
  redirectUris!: string[];

  @Field(() => String, { nullable: true, description: 'Where its PAYMENT_STATE_UPDATED webhooks go; null: none are sent.' })
  webhookUrl!: string | null;

  @Field(() => Date, { nullable: true, description: 'When an operator disabled it; null while it works.' })
  disabledAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Until when the secret before the last rotation still works; null when it no longer does.' })
  previousSecretValidUntil!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Until when deliveries are also signed with the webhook key before the last rotation.' })
  previousWebhookSecretValidUntil!: Date | null;

  @Field({ description: 'When it was registered.' })
  createdAt!: Date;
}

export function managedClientView(client: Client, now: Date): ManagedClientView {
  const live = (until: Date | null) => (until && until > now ? until : null);
  return {
    id: client.id,
    name: client.name,
    public: client.isPublic,
    verified: client.verified,
    scopes: client.scopes,
    payerScopes: client.scopes.filter((s) => (PAYER_CONSENT_SCOPES as readonly string[]).includes(s)),
    redirectUris: client.redirectUris,
    webhookUrl: client.webhookUrl,
    disabledAt: client.disabledAt,
    previousSecretValidUntil: live(client.previousSecretUntil),
    previousWebhookSecretValidUntil: live(client.previousWebhookSecretUntil),
    createdAt: client.createdAt,
  };
}

@ObjectType({ description: 'A page of clients.' })
export class ManagedClientConnection extends ConnectionType('ManagedClient', ManagedClientView) {}

@InputType({ description: 'A client to register.' })
export class CreateClientInput {
  @Field({ description: 'Name shown to payers, 1 to 200 characters.' })
  name!: string;

  @Field({ nullable: true, description: 'A public client (browser or mobile app): no secret, PKCE required. Default false.' })
  public?: boolean;

  @Field(() => [String], { description: 'Scopes it may ask for, for itself and, the consent ones among them (profile, orders:write, orders:recurrent, accounts:read, payments:read), of a payer.' })
  scopes!: string[];

  @Field(() => [String], { nullable: true, description: 'Redirect URIs for the authorization code grant, matched exactly.' })
  redirectUris?: string[];

  @Field({ nullable: true, description: 'Whether its operator was checked; payers see it. Default false.' })
  verified?: boolean;

  @Field(() => String, { nullable: true, description: 'Where its PAYMENT_STATE_UPDATED webhooks go.' })
  webhookUrl?: string | null;
}

@InputType({ description: 'What to change on a client; a field left out stays as it is.' })
export class UpdateClientInput {
  @Field(() => ID, { description: 'The client.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => [String], { nullable: true, description: 'New scopes (the whole list).' })
  scopes?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'New redirect URIs (the whole list).' })
  redirectUris?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether its operator was checked.' })
  verified?: boolean | null;

  @Field(() => String, { nullable: true, description: 'New webhook URL; an empty string removes it.' })
  webhookUrl?: string | null;
}

@InputType({ description: 'A client to disable.' })
export class DisableClientInput {
  @Field(() => ID, { description: 'The client: its tokens stop working at once, on every instance, and it gets no new one.' })
  id!: string;
}

@InputType({ description: 'A secret to rotate.' })
export class RotateSecretInput {
  @Field(() => ID, { description: 'The client.' })
  id!: string;

  @Field(() => Int, { description: 'Seconds during which the previous secret keeps working (0 to 2592000); 0 stops it at once.' })
  overlapSeconds!: number;
}

@ObjectType({ description: 'The result of a change to a client.' })
export class ManagedClientPayload {
  @Field(() => ManagedClientView, { nullable: true, description: 'The client; null on an error.' })
  client!: ManagedClientView | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}

@ObjectType({ description: 'A client with a new secret, shown this once.' })
export class ClientSecretPayload {
  @Field(() => ManagedClientView, { nullable: true, description: 'The client; null on an error.' })
  client!: ManagedClientView | null;

  @Field(() => String, { nullable: true, description: 'The client secret, shown only now (Paygrid keeps its hash); null for a public client or on an error.' })
  secret!: string | null;

  @Field(() => [UserError], { description: 'Business errors; empty on success.' })
  userErrors!: UserError[];
}
