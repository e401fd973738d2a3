import { MAX_AMOUNT, type Asset } from '../../money/money';
import { ErrorCode, PaygridError } from '../../shared/errors';

/** The Open Payments amount: minor units as a decimal string, with the asset. */
export interface OpAmount {
  value: string;
  assetCode: string;
  assetScale: number;
}

const UINT64 = /^(0|[1-9][0-9]*)$/;

export function toOpAmount(value: bigint, asset: Asset): OpAmount {
  return { value: value.toString(), assetCode: asset.assetCode, assetScale: asset.assetScale };
}

/**
 * Reads an Open Payments amount (`{value, assetCode, assetScale}`) that must be in `asset`, as minor
 * units: a positive integer string within int64, nothing else. Bigint only, never a JS number.
 */
export function parseOpAmount(raw: unknown, field: string, asset: Asset): bigint {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new PaygridError(ErrorCode.AMOUNT_INVALID, field, 'An amount is an object {value, assetCode, assetScale}.');
  const { value, assetCode, assetScale, ...rest } = raw as Record<string, unknown>;
  if (Object.keys(rest).length) throw new PaygridError(ErrorCode.INVALID_INPUT, field, `An amount has only value, assetCode and assetScale, not ${Object.keys(rest).join(', ')}.`);
  if (typeof value !== 'string' || value.length > 19 || !UINT64.test(value)) {
    throw new PaygridError(ErrorCode.AMOUNT_INVALID, `${field}.value`, 'The value is a non-negative integer string in minor units, e.g. "2500".');
  }
  if (typeof assetCode !== 'string' || typeof assetScale !== 'number' || !Number.isInteger(assetScale)) {
    throw new PaygridError(ErrorCode.INVALID_INPUT, field, 'assetCode must be a string and assetScale an integer.');
  }
  if (assetCode !== asset.assetCode) throw new PaygridError(ErrorCode.ASSET_MISMATCH, `${field}.assetCode`, `The wallet address holds ${asset.assetCode}, not ${assetCode}.`);
  if (assetScale !== asset.assetScale) throw new PaygridError(ErrorCode.ASSET_SCALE_MISMATCH, `${field}.assetScale`, `${asset.assetCode} has scale ${asset.assetScale}, not ${assetScale}.`);
  const minor = BigInt(value);
  if (minor === 0n) throw new PaygridError(ErrorCode.AMOUNT_NOT_POSITIVE, `${field}.value`);
  if (minor > MAX_AMOUNT) throw new PaygridError(ErrorCode.AMOUNT_TOO_LARGE, `${field}.value`);
  return minor;
}
