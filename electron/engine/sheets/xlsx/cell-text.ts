// What a written cell holds, and how wide its column is: shared by the two writers (a new
// results workbook, written part by part, and a write-back into the user's workbook, with ExcelJS).

export type XlsxCell = string | number | null;

/** OWASP's list of first characters that make a spreadsheet treat a cell as a formula. */
export const FORMULA_START = /^[=+\-@\t\r]/;
/** Excel refuses (as a damaged file) a cell longer than this. */
export const MAX_CELL_CHARS = 32_767;
export const MIN_WIDTH = 8;
export const MAX_WIDTH = 60;

export function fitCellText(text: string): string {
  if (text.length <= MAX_CELL_CHARS) return text;
  // Do not cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_CELL_CHARS - 1)) ? MAX_CELL_CHARS - 1 : MAX_CELL_CHARS;
  return text.slice(0, end);
}

/**
 * The longest line of a value as Excel shows it, if longer than `longest`; otherwise `longest`.
 * A number shows with at most 15 significant digits (0.1+0.2 shows as 0.3), never more characters
 * than String() gives, so most numbers are passed over without formatting.
 */
export function longestLine(value: XlsxCell | undefined, longest: number): number {
  if (value === null || value === undefined) return longest;
  let text = typeof value === 'number' ? String(value) : value;
  if (text.length <= longest) return longest;
  if (typeof value === 'number') text = String(Number(value.toPrecision(15)));
  let start = 0;
  for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
    longest = Math.max(longest, end - start);
    start = end + 1;
  }
  return Math.max(longest, text.length - start);
}

/** Width in characters for a column of text this long, within limits. */
export function widthOf(longest: number): number {
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2));
}

/** Width in characters for a column: its longest line, within limits. */
export function widthFor(values: Iterable<XlsxCell | undefined>): number {
  let longest = 0;
  for (const value of values) {
    longest = longestLine(value, longest);
    if (longest >= MAX_WIDTH) break;
  }
  return widthOf(longest);
}

/** A UTF-16 surrogate without its other half: no character at all, and not allowed in XML. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Excel's rules for sheet names: at most 31 characters, none of : \ / ? * [ ], no leading or trailing '. */
export function safeSheetName(name: string): string {
  const cleaned = name
    // eslint-disable-next-line no-control-regex -- nor control characters, which XML cannot hold
    .replace(/[:\\/?*[\]\u0000-\u001F\u007F\uFFFE\uFFFF]/g, ' ')
    .slice(0, 31)
    .replace(LONE_SURROGATE, '')
    .replace(/^'+|'+$/g, '')
    .trim();
  return cleaned === '' ? 'Results' : cleaned;
}
