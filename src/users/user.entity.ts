import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A payer: a person who logs in to Paygrid's pages and consents to clients acting for them. */
// `user` is a reserved word in PostgreSQL.
@Entity({ tableName: 'app_user' })
export class User {
  /** `usr_…` */
  @PrimaryKey({ type: 'string', length: 40 })
  id!: string;

  /** Lower-case login name; unique. */
  @Property({ type: 'string', length: 64, unique: true })
  username!: string;

  /** Name shown to the payer and, with the `profile` scope, to clients. */
  @Property({ type: 'string', length: 200, nullable: true })
  name: string | null = null;

  /** scrypt hash with its parameters (see password.ts); never the password. */
  @Property({ type: 'string', length: 200 })
  passwordHash!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
