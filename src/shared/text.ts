import { ErrorCode, PaygridError } from './errors';

/**
 * The one validator of free text in inputs: trimmed, never coerced from another type, without
 * control characters, within a length; blank counts as absent.
 */

// C0 and C1 controls, plus the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * What no string input may hold, whatever its field: C0 controls but tab, line feed and carriage
 * return (fields that refuse those say so themselves), DEL, C1 controls, and unpaired surrogates
 * (a lone UTF-16 half, which PostgreSQL cannot store). In `u` mode a paired surrogate is one code
 * point, so `\p{Cs}` matches only the unpaired ones.
 */
const NEVER_IN_INPUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\p{Cs}/u;

/** The edge check every string and id input passes before any resolver, route or service sees it. */
export function hasForbiddenCharacters(value: string): boolean {
  return NEVER_IN_INPUT.test(value);
}

export interface TextRule {
  max: number;
  /** Allows line feeds (postal addresses); other controls are refused everywhere. */
  multiline?: boolean;
  /** How the field is named in messages. */
  name: string;
}

/** A trimmed string, or null when absent or blank. Wrong types are refused, never coerced. */
export function optionalText(value: unknown, field: string, rule: TextRule): string | null {
  if (value == null) return null;
  if (typeof value !== 'string') throw new PaygridError(ErrorCode.INVALID_INPUT, field, `The ${rule.name} must be a string.`);
  const text = value.replace(/\r\n?/g, '\n').trim();
  if (text === '') return null;
  if ((rule.multiline ? CONTROL_BUT_NEWLINE : CONTROL).test(text) || hasForbiddenCharacters(text)) {
    throw new PaygridError(ErrorCode.TEXT_INVALID_CHARACTERS, field, `The ${rule.name} contains control characters.`);
  }
  if (text.length > rule.max) {
    throw new PaygridError(ErrorCode.FIELD_TOO_LONG, field, `The ${rule.name} is longer than ${rule.max} characters.`);
  }
  return text;
}

export function requiredText(value: unknown, field: string, rule: TextRule): string {
  const text = optionalText(value, field, rule);
  if (text === null) throw new PaygridError(ErrorCode.FIELD_REQUIRED, field, `The ${rule.name} is required.`);
  return text;
}

/**
 * An absolute http or https URL, or null: the one parse that every URL input (callbacks, webhook
 * endpoints) goes through before the rules of its own field.
 */
export function parseHttpUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}
