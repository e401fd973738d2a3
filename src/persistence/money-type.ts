import { Type } from '@mikro-orm/core';

/**
 * Minor units as `bigint`, stored in a signed 64-bit column. Read back as text so that no driver
 * passes a balance through a JavaScript number (SQLite drivers would otherwise round past 2^53).
 */
export class MoneyType extends Type<bigint, string> {
  override convertToDatabaseValue(value: bigint | string): string {
    // A nullable amount column (an open incoming amount) passes its null through.
    return value === null ? (null as unknown as string) : value.toString();
  }

  override convertToJSValue(value: bigint | string | number): bigint {
    return value === null ? (null as unknown as bigint) : BigInt(value);
  }

  override convertToJSValueSQL(key: string): string {
    return `cast(${key} as text)`;
  }

  override compareAsType(): string {
    return 'string';
  }

  override getColumnType(): string {
    return 'bigint';
  }
}
