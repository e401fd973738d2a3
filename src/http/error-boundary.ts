import type { FastifyBaseLogger } from 'fastify';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isPaygridError } from '../shared/errors';
import { newId } from '../shared/ids';

/**
 * Logs an unexpected error once and returns the reference the response carries, so that a report
 * from a client ("err_…") finds the log line with the details the client never sees.
 */
export function reportUnexpected(log: FastifyBaseLogger, error: unknown, where: string): string {
  const reference = newId('err');
  log.error({ err: error, reference }, `${where} failed`);
  return reference;
}

export const INTERNAL_MESSAGE = 'Internal server error';

/**
 * The one formatting of GraphQL errors, for Apollo over HTTP and graphql-ws alike: a business error
 * becomes BAD_USER_INPUT with its code and field; an error a resolver threw on purpose keeps its
 * message and code; anything else (a driver's message is its SQL) is masked, logged, and answered
 * with its reference.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, report: (error: unknown) => string): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (isPaygridError(original)) {
    return { ...formatted, message: original.message, extensions: { code: 'BAD_USER_INPUT', userErrorCode: original.code, field: original.field } };
  }
  // Apollo wraps validation errors and overwrites their code with GRAPHQL_VALIDATION_FAILED: keep
  // the code our own rules gave (QUERY_TOO_DEEP, QUERY_TOO_COSTLY, TOO_MANY_ALIASES).
  if (formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && original instanceof GraphQLError && typeof original.extensions?.code === 'string') {
    return { ...formatted, extensions: { ...formatted.extensions, code: original.extensions.code } };
  }
  if (original instanceof GraphQLError && typeof original.extensions?.code === 'string') {
    // graphql-ws wraps what a stream throws in a GraphQLError of its own, without the extensions.
    const { http: _http, ...extensions } = original.extensions ?? {};
    return { ...formatted, message: original.message, extensions: { ...extensions, ...formatted.extensions } };
  }
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' || (original && !(original instanceof GraphQLError))) {
    return { message: INTERNAL_MESSAGE, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', reference: report(original ?? error) } };
  }
  return formatted;
}

/** graphql-ws's errors (serialized by it with toJSON) through the same formatting. */
export function formatGraphQLErrors(errors: readonly GraphQLError[], report: (error: unknown) => string): GraphQLFormattedError[] {
  return errors.map((error) => formatGraphQLError(error.toJSON(), error, report));
}
