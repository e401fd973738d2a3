import { StateMachine } from '../../shared/state-machine';
import { GrantState } from './grant.entity';

/**
 * processing → pending (the account holder opened the interaction) → approved → finalized; a
 * non-interactive grant starts approved. Any open state may be finalized (rejected, revoked).
 */
export const grantMachine = new StateMachine<GrantState>('grant', {
  processing: [GrantState.PENDING, GrantState.APPROVED, GrantState.FINALIZED],
  pending: [GrantState.APPROVED, GrantState.FINALIZED],
  approved: [GrantState.FINALIZED],
  finalized: [],
});
