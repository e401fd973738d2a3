import { ErrorCode, PaygridError } from '../../shared/errors';

/** A payment's `metadata`: a JSON object whose serialized form is at most `maxBytes` (UTF-8). */
export function checkMetadata(raw: unknown, field: string, maxBytes: number): Record<string, unknown> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new PaygridError(ErrorCode.INVALID_INPUT, field, 'metadata must be a JSON object.');
  const bytes = Buffer.byteLength(JSON.stringify(raw), 'utf8');
  if (bytes > maxBytes) throw new PaygridError(ErrorCode.METADATA_TOO_LARGE, field, `metadata is ${bytes} bytes as JSON; at most ${maxBytes} are kept.`);
  return raw as Record<string, unknown>;
}
