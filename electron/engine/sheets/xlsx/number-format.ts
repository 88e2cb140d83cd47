import * as numfmt from 'numfmt';
import { parsePart } from './package.ts';
import type { Zip, ZipEntry } from './zip.ts';

/**
 * The number format of each cell style (the index a cell's s attribute gives), or undefined for
 * General. A built-in format, stored as an id only, is the one Excel shows for it in en-US.
 */
export async function readNumberFormats(zip: Zip, entry: ZipEntry | undefined): Promise<(string | undefined)[]> {
  if (entry === undefined) return [];
  const custom = new Map<number, string>();
  const styleFormatIds: number[] = [];
  let section = '';
  await parsePart(zip, entry, {
    open: (name, attributes) => {
      if (name === 'numFmts' || name === 'cellXfs') section = name;
      else if (name === 'numFmt' && section === 'numFmts') {
        custom.set(Number(attributes.numFmtId), attributes.formatCode ?? '');
      } else if (name === 'xf' && section === 'cellXfs') {
        styleFormatIds.push(Number(attributes.numFmtId ?? 0));
      }
    },
    close: (name) => {
      if (name === section) section = '';
    },
  });
  return styleFormatIds.map((id) => custom.get(id) ?? builtInFormat(id));
}

/**
 * Excel's built-in formats: ids 1-4, 9-22, 37-40 and 45-49 are the same everywhere; 5-8, 27-36,
 * 41-44 and 50-81 depend on the locale, and these are the ones of en-US (5-8 and 41-44 in dollars).
 */
export function builtInFormat(id: number): string | undefined {
  if (!Number.isInteger(id) || id < 1 || id > 81) return undefined;
  const pattern = numfmt.getFormatFromId(id);
  return pattern === 'General' ? undefined : pattern;
}

export interface CellFormat {
  pattern: string | undefined;
  /** Shows a date or a time. */
  date: boolean;
  /** Shows a day, month or year, so it depends on the workbook's date system (a time or a duration does not). */
  calendar: boolean;
}

const GENERAL: CellFormat = { pattern: undefined, date: false, calendar: false };

export function describeFormat(pattern: string | undefined): CellFormat {
  if (pattern === undefined) return GENERAL;
  try {
    if (!numfmt.isDateFormat(pattern)) return { pattern, date: false, calendar: false };
    const { year, month, day } = numfmt.getFormatDateInfo(pattern);
    return { pattern, date: true, calendar: year || month || day };
  } catch {
    return { pattern, date: false, calendar: false };
  }
}

const MS_PER_DAY = 86_400_000;
/** Days from Excel's day 0 (1899-12-30, counting the 1900 leap-year bug) to 1970-01-01. */
const UNIX_EPOCH_SERIAL = 25_569;
/** A workbook in the 1904 date system counts its days from 1904-01-01, day 1462 of the 1900 system. */
export const DATE_1904_OFFSET = 1_462;

/**
 * Excel's General format shows as many digits as the column has room for, up to 15
 * significant ones. Rowbot has no column width, so it shows what a wide enough column shows:
 * 15 significant digits (0.1+0.2 is 0.3, and long ids stay whole), with scientific notation
 * only for numbers too large or too small to show that way (1E+21, 1.2345E-07).
 */
function formatGeneral(value: number): string {
  if (!Number.isFinite(value)) return numfmt.format('General', value);
  const rounded = Number(value.toPrecision(15));
  if (rounded === 0) return '0';
  const magnitude = Math.abs(rounded);
  if (magnitude >= 1e15 || magnitude < 1e-6) return numfmt.format('General', rounded);
  return String(rounded);
}

function formatNumber(value: number, pattern: string | undefined): string {
  if (pattern === undefined || pattern === '' || pattern === '@' || pattern.toLowerCase() === 'general') {
    return formatGeneral(value);
  }
  try {
    // The trim drops the padding that `_)` and `* ` put in to line up columns.
    const text = numfmt.format(pattern, value);
    return (WHOLE_AND_FRACTION.test(pattern) ? carryWholeFraction(text, value) : text).trim();
  } catch {
    // A format numfmt cannot parse: the number is still worth more than '######'.
    return formatGeneral(value);
  }
}

/** A fraction format with a whole part, such as `# ?/?` or `0 ??/??`. */
const WHOLE_AND_FRACTION = /[#0?]\s+[#0?]+\/[#0?\d]+/;

/**
 * A fraction that rounds to n/n is a whole one more: Excel shows 0.96 in `# ?/?` as "1" and
 * 12345678.9 as "12345679" (SheetJS SSF's tables), where numfmt 4 writes "1 1/1" (showing 2)
 * and "12345678 1/1".
 */
function carryWholeFraction(text: string, value: number): string {
  return text.replace(
    /(\d+)?( +)(\d+)\/(\d+)/,
    (match, _whole, gap: string, numerator: string, denominator: string) => {
      if (numerator !== denominator) return match;
      const whole = String(Math.trunc(Math.abs(value)) + 1);
      return `${whole}${' '.repeat(gap.length + numerator.length + 1 + denominator.length)}`;
    },
  );
}

/** The largest serial number Excel shows as a date: 9999-12-31 23:59:59.999. */
const LAST_DATE_SERIAL = 2_958_466;

/** The text Excel shows for a number cell (its <v> text), in the workbook's date system. */
export function numberText(value: string, format: CellFormat, date1904: boolean): string {
  const number = parseFloat(value);
  if (!format.date) return formatNumber(number, format.pattern);
  if (!Number.isFinite(number)) return '';
  const serial = date1904 && format.calendar ? number + DATE_1904_OFFSET : number;
  // Excel fills a cell with # when its date or time is before day 0 or after 9999.
  if (serial < 0 || serial >= LAST_DATE_SERIAL) return '####';
  return formatNumber(serial, format.pattern);
}

/**
 * The text Excel shows for a text cell: the text section of its format, if it has one (`@`
 * in a section, or a fourth section: `"Name: "@`, `;;;"hidden"`), else the text as it is.
 */
export function textWithFormat(text: string, format: CellFormat): string {
  const { pattern } = format;
  if (pattern === undefined || pattern === '@' || format.date || !hasTextSection(pattern)) return text;
  try {
    const shown = numfmt.format(pattern, text);
    // Padding around the text (`_(@_)`) only lines up a column: the text stays as it is.
    return shown.trim() === text.trim() ? text : shown.trim();
  } catch {
    return text;
  }
}

/** Whether a format has a section for text: `@` outside quotes, or a fourth section. */
function hasTextSection(pattern: string): boolean {
  const bare = pattern.replace(/"[^"]*"|\\.|\[[^\]]*\]/g, '');
  return bare.includes('@') || bare.split(';').length >= 4;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?/;

/** A date cell (t="d", which Excel never writes but other tools do) holds an ISO 8601 date and time. */
export function isoDateText(value: string, format: CellFormat): string {
  const match = ISO_DATE.exec(value);
  if (!match) return value;
  const [, year, month, day, hours = '0', minutes = '0', seconds = '0'] = match;
  const time = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hours), Number(minutes));
  const ms = time + Math.round(Number(seconds) * 1000);
  if (!Number.isFinite(ms)) return value;
  const pattern = format.date ? format.pattern : ms % MS_PER_DAY === 0 ? 'yyyy-mm-dd' : 'yyyy-mm-dd hh:mm:ss';
  return formatNumber(ms / MS_PER_DAY + UNIX_EPOCH_SERIAL, pattern);
}
