import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * The process's one logger: structured JSON through pino. Fastify is handed it (its request lines are
 * children of it) and services get children of it by name, so they log the same way without
 * knowing about HTTP.
 */
export function createLogger(options: Pick<LoggerOptions, 'level' | 'redact' | 'serializers'>, stream?: DestinationStream): Logger {
  return stream ? pino(options, stream) : pino(options);
}
