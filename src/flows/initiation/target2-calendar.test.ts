import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addUtcDays,
  easterSunday,
  firstOpenDayAfter,
  firstOpenDayOnOrAfter,
  isTarget2OpenDay,
  startOfUtcDay,
  target2ClosingReason,
  utcDaysBetween,
} from './target2-calendar';

const day = (text: string): string => text.slice(0, 10);
const iso = (date: Date): string => date.toISOString().slice(0, 10);

describe('easterSunday (anonymous Gregorian computus)', () => {
  // Published dates of Western Easter, written out rather than computed.
  const known: Array<[number, string]> = [
    [1818, '1818-03-22'], // earliest possible date
    [1943, '1943-04-25'], // latest possible date
    [2000, '2000-04-23'],
    [2001, '2001-04-15'],
    [2002, '2002-03-31'],
    [2003, '2003-04-20'],
    [2004, '2004-04-11'],
    [2005, '2005-03-27'],
    [2006, '2006-04-16'],
    [2007, '2007-04-08'],
    [2008, '2008-03-23'],
    [2009, '2009-04-12'],
    [2010, '2010-04-04'],
    [2011, '2011-04-24'],
    [2012, '2012-04-08'],
    [2013, '2013-03-31'],
    [2014, '2014-04-20'],
    [2015, '2015-04-05'],
    [2016, '2016-03-27'],
    [2017, '2017-04-16'],
    [2018, '2018-04-01'],
    [2019, '2019-04-21'],
    [2020, '2020-04-12'],
    [2021, '2021-04-04'],
    [2022, '2022-04-17'],
    [2023, '2023-04-09'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2028, '2028-04-16'],
    [2029, '2029-04-01'],
    [2030, '2030-04-21'],
    [2038, '2038-04-25'], // latest possible date again
    [2285, '2285-03-22'], // earliest possible date again
  ];
  for (const [year, expected] of known) {
    it(`${year} → ${expected}`, () => {
      const easter = easterSunday(year);
      assert.equal(easter.toISOString(), `${expected}T00:00:00.000Z`);
      assert.equal(easter.getUTCDay(), 0, 'a Sunday');
    });
  }

  it('always falls on a Sunday between 22 March and 25 April (1583–3000)', () => {
    for (let year = 1583; year <= 3000; year++) {
      const easter = easterSunday(year);
      assert.equal(easter.getUTCDay(), 0, String(year));
      const monthDay = (easter.getUTCMonth() + 1) * 100 + easter.getUTCDate();
      assert.ok(monthDay >= 322 && monthDay <= 425, `${year}: ${iso(easter)}`);
    }
  });

  for (const year of [1582, 2024.5, Number.NaN]) {
    it(`refuses year ${year}`, () => assert.throws(() => easterSunday(year), RangeError));
  }
});

describe('isTarget2OpenDay', () => {
  // [UTC instant, closing reason or null when open]
  const cases: Array<[string, string | null]> = [
    // an ordinary week
    ['2024-06-03T00:00:00Z', null], // Monday
    ['2024-06-07T23:59:59.999Z', null], // Friday, last millisecond
    ['2024-06-08T00:00:00Z', 'Saturday'],
    ['2024-06-09T12:00:00Z', 'Sunday'],
    // Easter 2024: four closed days in a row
    ['2024-03-28T12:00:00Z', null], // Maundy Thursday is open
    ['2024-03-29T00:00:00Z', 'Good Friday'],
    ['2024-03-30T12:00:00Z', 'Saturday'],
    ['2024-03-31T12:00:00Z', 'Sunday'],
    ['2024-04-01T23:59:59.999Z', 'Easter Monday'],
    ['2024-04-02T00:00:00Z', null],
    // Easter 2025 and a March Easter (2016)
    ['2025-04-18T08:00:00Z', 'Good Friday'],
    ['2025-04-21T08:00:00Z', 'Easter Monday'],
    ['2016-03-25T08:00:00Z', 'Good Friday'],
    ['2016-03-28T08:00:00Z', 'Easter Monday'],
    ['2038-04-23T08:00:00Z', 'Good Friday'],
    ['2038-04-26T08:00:00Z', 'Easter Monday'],
    // fixed holidays on weekdays
    ['2025-01-01T10:00:00Z', "New Year's Day"], // Wednesday
    ['2024-05-01T10:00:00Z', 'Labour Day'], // Wednesday
    ['2024-12-25T10:00:00Z', 'Christmas Day'], // Wednesday
    ['2024-12-26T10:00:00Z', "St Stephen's Day"], // Thursday
    // fixed holidays on weekends: a weekend is a weekend, and no substitute day follows
    ['2022-01-01T10:00:00Z', 'Saturday'],
    ['2022-01-03T10:00:00Z', null],
    ['2023-01-02T10:00:00Z', null], // 1 January 2023 was a Sunday
    ['2027-05-03T10:00:00Z', null], // 1 May 2027 is a Saturday
    ['2021-12-27T10:00:00Z', null], // 25/26 December 2021 on Saturday/Sunday
    // national holidays that TARGET2 does not observe
    ['2024-05-08T10:00:00Z', null], // Victory in Europe Day (FR)
    ['2024-05-09T10:00:00Z', null], // Ascension Day
    ['2024-05-20T10:00:00Z', null], // Whit Monday
    ['2024-07-14T10:00:00Z', 'Sunday'], // Bastille Day 2024 is a Sunday anyway
    ['2025-07-14T10:00:00Z', null], // Bastille Day 2025, a Monday: open
    ['2024-08-15T10:00:00Z', null], // Assumption
    ['2024-12-24T10:00:00Z', null], // Christmas Eve
    ['2024-12-31T10:00:00Z', null], // New Year's Eve
    // the UTC date decides, not the server's local one
    ['2024-03-28T23:30:00-02:00', 'Good Friday'], // 01:30 UTC on Friday
    ['2024-04-02T00:30:00+02:00', 'Easter Monday'], // 22:30 UTC on Monday
  ];
  for (const [instant, reason] of cases) {
    it(`${instant} is ${reason === null ? 'open' : `closed (${reason})`}`, () => {
      const date = new Date(instant);
      assert.equal(isTarget2OpenDay(date), reason === null);
      assert.equal(target2ClosingReason(date), reason);
    });
  }

  it('closes at most 6 weekdays a year, and only 3 in 2027 (three holidays on weekends)', () => {
    const closedWeekdays = (year: number): string[] => {
      const out: string[] = [];
      for (let d = new Date(Date.UTC(year, 0, 1)); d.getUTCFullYear() === year; d = addUtcDays(d, 1)) {
        const weekday = d.getUTCDay();
        if (weekday !== 0 && weekday !== 6 && !isTarget2OpenDay(d)) out.push(iso(d));
      }
      return out;
    };
    assert.deepEqual(closedWeekdays(2024), ['2024-01-01', '2024-03-29', '2024-04-01', '2024-05-01', '2024-12-25', '2024-12-26']);
    assert.deepEqual(closedWeekdays(2027), ['2027-01-01', '2027-03-26', '2027-03-29']);
    for (let year = 2000; year <= 2100; year++) assert.ok(closedWeekdays(year).length <= 6, String(year));
  });
});

describe('firstOpenDayAfter', () => {
  // [UTC instant, first open day strictly after its UTC date]
  const cases: Array<[string, string, string]> = [
    ['ordinary weekday', '2024-06-04T09:00:00Z', '2024-06-05'],
    ['never today, even at midnight', '2024-06-04T00:00:00Z', '2024-06-05'],
    ['last millisecond of the day', '2024-06-04T23:59:59.999Z', '2024-06-05'],
    ['Thursday → Friday', '2024-06-06T15:00:00Z', '2024-06-07'],
    ['Friday → Monday', '2024-06-07T15:00:00Z', '2024-06-10'],
    ['Saturday → Monday', '2024-06-08T15:00:00Z', '2024-06-10'],
    ['Sunday → Monday', '2024-06-09T15:00:00Z', '2024-06-10'],
    // Easter 2024: Good Friday 29 March through Easter Monday 1 April
    ['Wednesday before Easter 2024', '2024-03-27T10:00:00Z', '2024-03-28'],
    ['Maundy Thursday 2024 → Tuesday after Easter', '2024-03-28T10:00:00Z', '2024-04-02'],
    ['Good Friday 2024', '2024-03-29T10:00:00Z', '2024-04-02'],
    ['Easter Sunday 2024', '2024-03-31T10:00:00Z', '2024-04-02'],
    ['Easter Monday 2024', '2024-04-01T10:00:00Z', '2024-04-02'],
    ['Maundy Thursday 2025', '2025-04-17T10:00:00Z', '2025-04-22'],
    ['Maundy Thursday 2029 (Easter on 1 April)', '2029-03-29T10:00:00Z', '2029-04-03'],
    // New Year
    ['New Year on a Saturday (2022): Friday 31 December', '2021-12-31T10:00:00Z', '2022-01-03'],
    ['New Year on a Sunday (2023): no substitute Monday', '2022-12-30T10:00:00Z', '2023-01-02'],
    ['New Year on a Friday (2027): Thursday 31 December', '2026-12-31T10:00:00Z', '2027-01-04'],
    ['across the year boundary (2024 → 2025)', '2024-12-31T10:00:00Z', '2025-01-02'],
    ['across the year boundary (2030 → 2031)', '2030-12-31T23:59:59Z', '2031-01-02'],
    // 1 May
    ['1 May on a Wednesday (2024)', '2024-04-30T10:00:00Z', '2024-05-02'],
    ['1 May on a Friday (2026)', '2026-04-30T10:00:00Z', '2026-05-04'],
    ['1 May on a Saturday (2027)', '2027-04-30T10:00:00Z', '2027-05-03'],
    // Christmas and St Stephen
    ['Christmas on a Friday, St Stephen on a Saturday (2026)', '2026-12-24T10:00:00Z', '2026-12-28'],
    ['Christmas on a Friday (2020)', '2020-12-24T10:00:00Z', '2020-12-28'],
    ['Christmas on a Saturday (2027): Monday 27 is open', '2027-12-24T10:00:00Z', '2027-12-27'],
    ['Christmas on a Wednesday (2024)', '2024-12-24T10:00:00Z', '2024-12-27'],
    // the UTC date decides
    ['late Thursday in UTC−5 is already Friday in UTC', '2024-06-06T22:00:00-05:00', '2024-06-10'],
  ];
  for (const [label, instant, expected] of cases) {
    it(`${label}: ${day(instant)} → ${expected}`, () => {
      const result = firstOpenDayAfter(new Date(instant));
      assert.equal(result.toISOString(), `${expected}T00:00:00.000Z`);
      assert.ok(isTarget2OpenDay(result));
    });
  }

  it('is always strictly later, open, and no open day is skipped (2000–2040)', () => {
    for (let d = new Date(Date.UTC(2000, 0, 1)); d.getUTCFullYear() <= 2040; d = addUtcDays(d, 1)) {
      const next = firstOpenDayAfter(d);
      const gap = utcDaysBetween(d, next);
      assert.ok(gap >= 1 && gap <= 5, `${iso(d)} → ${iso(next)}`);
      for (let k = 1; k < gap; k++) assert.equal(isTarget2OpenDay(addUtcDays(d, k)), false, `${iso(d)} skipped ${iso(addUtcDays(d, k))}`);
      assert.ok(isTarget2OpenDay(next));
    }
  });

  it('refuses an invalid date', () => {
    assert.throws(() => firstOpenDayAfter(new Date('nope')), RangeError);
  });
});

describe('firstOpenDayOnOrAfter', () => {
  const cases: Array<[string, string]> = [
    ['2024-06-04T15:00:00Z', '2024-06-04'], // open: the same day
    ['2024-06-08T15:00:00Z', '2024-06-10'], // Saturday
    ['2024-03-29T15:00:00Z', '2024-04-02'], // Good Friday
    ['2026-12-25T00:00:00Z', '2026-12-28'], // Christmas on a Friday
  ];
  for (const [instant, expected] of cases) {
    it(`${instant} → ${expected}`, () => assert.equal(iso(firstOpenDayOnOrAfter(new Date(instant))), expected));
  }
});

describe('UTC day helpers', () => {
  it('startOfUtcDay truncates to midnight UTC', () => {
    assert.equal(startOfUtcDay(new Date('2024-03-28T23:59:59.999Z')).toISOString(), '2024-03-28T00:00:00.000Z');
    assert.equal(startOfUtcDay(new Date('2024-03-29T01:00:00+02:00')).toISOString(), '2024-03-28T00:00:00.000Z');
  });

  it('utcDaysBetween counts calendar days, not 24-hour periods', () => {
    assert.equal(utcDaysBetween(new Date('2024-03-28T23:59:00Z'), new Date('2024-03-29T00:01:00Z')), 1);
    assert.equal(utcDaysBetween(new Date('2024-03-28T00:00:00Z'), new Date('2024-03-28T23:59:00Z')), 0);
    assert.equal(utcDaysBetween(new Date('2024-03-29T00:00:00Z'), new Date('2024-03-28T00:00:00Z')), -1);
    assert.equal(utcDaysBetween(new Date('2024-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z')), 366);
  });
});
