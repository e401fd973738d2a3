/**
 * The TARGET2 calendar (ECB): the days on which euro interbank payments settle. Closed on Saturdays,
 * Sundays, 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December; open every other day,
 * with no substitute day when a holiday falls on a weekend.
 *
 * Every function works on UTC dates: an instant belongs to the day it falls on in UTC, whatever the
 * server's time zone. The list of holidays is the one in force since 2002 (2000 and 2001 also closed
 * on 31 December); Easter uses the Gregorian computus, so years before 1583 are meaningless here.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Midnight UTC of the instant's UTC date. */
export function startOfUtcDay(instant: Date): Date {
  const time = instant.getTime();
  if (Number.isNaN(time)) throw new RangeError('Invalid date');
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
}

/** Midnight UTC `days` days after the instant's UTC date (negative goes back). */
export function addUtcDays(instant: Date, days: number): Date {
  return new Date(startOfUtcDay(instant).getTime() + days * DAY_MS);
}

/** Whole UTC days from `from`'s date to `to`'s date: 0 on the same date, 1 for the next, negative before. */
export function utcDaysBetween(from: Date, to: Date): number {
  return Math.round((startOfUtcDay(to).getTime() - startOfUtcDay(from).getTime()) / DAY_MS);
}

/** Easter Sunday of a Gregorian year at midnight UTC (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher"). */
export function easterSunday(year: number): Date {
  if (!Number.isInteger(year) || year < 1583) throw new RangeError(`No Gregorian Easter for year ${year}`);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31); // 3 = March, 4 = April
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return new Date(Date.UTC(year, month - 1, day));
}

/** Why TARGET2 is closed on the instant's UTC date, or null when it is open. */
export function target2ClosingReason(date: Date): string | null {
  const day = startOfUtcDay(date);
  const weekday = day.getUTCDay();
  if (weekday === 6) return 'Saturday';
  if (weekday === 0) return 'Sunday';
  const month = day.getUTCMonth() + 1;
  const dayOfMonth = day.getUTCDate();
  if (month === 1 && dayOfMonth === 1) return "New Year's Day";
  if (month === 5 && dayOfMonth === 1) return 'Labour Day';
  if (month === 12 && dayOfMonth === 25) return 'Christmas Day';
  if (month === 12 && dayOfMonth === 26) return "St Stephen's Day";
  const fromEaster = utcDaysBetween(easterSunday(day.getUTCFullYear()), day);
  if (fromEaster === -2) return 'Good Friday';
  if (fromEaster === 1) return 'Easter Monday';
  return null;
}

/** True when TARGET2 settles payments on the instant's UTC date. */
export function isTarget2OpenDay(date: Date): boolean {
  return target2ClosingReason(date) === null;
}

/**
 * Midnight UTC of the first TARGET2 open day strictly after the instant's UTC date: never the same
 * day, even when that day is open and the instant is at its very start.
 */
export function firstOpenDayAfter(instant: Date): Date {
  let day = addUtcDays(instant, 1);
  // At most 4 closed days in a row (Good Friday to Easter Monday; Christmas on a Friday to Sunday).
  while (!isTarget2OpenDay(day)) day = addUtcDays(day, 1);
  return day;
}

/** Midnight UTC of the instant's date when TARGET2 is open that day, otherwise of the next open day. */
export function firstOpenDayOnOrAfter(instant: Date): Date {
  const day = startOfUtcDay(instant);
  return isTarget2OpenDay(day) ? day : firstOpenDayAfter(day);
}
