import { isPaygridError } from '../shared/errors';
import { userErrorOf, type UserError } from './common.types';

type Payload = { userErrors: UserError[] };

/**
 * Runs a service call for a mutation: business errors become `userErrors` in the payload (with
 * `empty` for the rest of it), anything else propagates and is reported without details.
 */
export async function mutate<P extends Payload>(
  run: () => Promise<Omit<P, 'userErrors'> & Partial<Payload>>,
  empty: Omit<P, 'userErrors'>,
): Promise<P> {
  try {
    return { userErrors: [], ...(await run()) } as unknown as P;
  } catch (error) {
    if (isPaygridError(error)) return { ...empty, userErrors: [userErrorOf(error)] } as P;
    throw error;
  }
}
