import { ErrorCode, PaygridError } from './errors';

/**
 * The one state machine helper: every flow declares its states, the legal steps between them, and
 * which states are final. Final states never change; anything not declared is refused.
 */
export class StateMachine<S extends string> {
  constructor(
    readonly name: string,
    private readonly transitions: Readonly<Record<S, readonly S[]>>,
  ) {}

  isFinal(state: S): boolean {
    return this.transitions[state].length === 0;
  }

  canMove(from: S, to: S): boolean {
    return this.transitions[from].includes(to);
  }

  /** Throws ILLEGAL_TRANSITION, naming both states, when `from → to` is not a declared step. */
  assertMove(from: S, to: S, field?: string): void {
    if (!this.canMove(from, to)) {
      const why = this.isFinal(from) ? `it is ${from}, a final state` : `it is ${from}`;
      throw new PaygridError(ErrorCode.ILLEGAL_TRANSITION, field, `The ${this.name} cannot become ${to}: ${why}.`);
    }
  }
}
