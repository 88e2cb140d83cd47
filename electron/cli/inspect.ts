import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { RowbotError } from '../../shared/errors.ts';
import { delimiterLabel, encodingLabel, FORMAT_LABELS } from '../../shared/sheets.ts';
import { importTable } from '../engine/sheets/import.ts';
import { importOptionsFromFlags, IMPORT_FLAGS } from './import-flags.ts';
import { UsageError } from './exit.ts';

const OPTIONS = {
  ...IMPORT_FLAGS,
  json: { type: 'boolean', default: false },
  rows: { type: 'string', default: '5' },
} as const;

/** `rowbot inspect <file>`: what Rowbot sees in a spreadsheet, without storing anything. */
export async function inspectCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. Run "rowbot help" for the options.`);
  }
  const { values, positionals } = parsed;
  const [file] = positionals;
  if (!file) throw new UsageError('Name the file to inspect, e.g. rowbot inspect products.xlsx');
  const shown = Number(values.rows);
  if (!Number.isInteger(shown) || shown < 0 || shown > 1000)
    throw new UsageError(`--rows must be a whole number from 0 to 1000, not "${values.rows}".`);
  const options = importOptionsFromFlags(values, (message) => {
    throw new UsageError(message);
  });
  try {
    await stat(file);
  } catch {
    throw new UsageError(`Rowbot cannot open "${file}". Check that the file exists and that you may read it.`);
  }
  let table;
  try {
    table = await importTable(
      { fileName: basename(file), path: file },
      { ...options, maxRows: Number.MAX_SAFE_INTEGER },
      () => undefined,
    );
  } catch (error) {
    if (error instanceof RowbotError) throw new UsageError(error.message);
    throw error;
  }
  const { settings } = table;
  const sample = table.sampleRows.slice(0, shown);
  if (values.json) {
    console.log(
      JSON.stringify({
        file: basename(file),
        format: settings.format,
        encoding: settings.encoding,
        delimiter: settings.delimiter,
        hasHeader: settings.hasHeader,
        titleRows: settings.titleRows ?? [],
        sheetNames: settings.sheetNames,
        sheet: settings.sheet,
        columns: table.columns,
        rowCount: table.rowCount,
        notes: table.notes,
        firstRows: sample,
      }),
    );
    return 0;
  }
  const lines = [
    ['File', basename(file)],
    ['Format', FORMAT_LABELS[settings.format]],
    ...(settings.sheetNames.length > 0
      ? [['Sheets', `${settings.sheetNames.join(', ')} (reading “${settings.sheet}”)`]]
      : []),
    ...(settings.encoding ? [['Encoding', encodingLabel(settings.encoding)]] : []),
    ...(settings.delimiter ? [['Delimiter', delimiterLabel(settings.delimiter)]] : []),
    [
      'Header',
      settings.hasHeader
        ? `yes${settings.headerRow ? ` (row ${settings.headerRow})` : ''}`
        : 'no (columns named A, B, C…)',
    ],
    ['Columns', `${table.columns.length}: ${table.columns.join(', ')}`],
    ['Rows', table.rowCount.toLocaleString('en-US')],
  ];
  for (const [label, value] of lines) console.log(`${`${label}:`.padEnd(11)}${value}`);
  for (const note of table.notes) console.log(`Note:      ${note}`);
  for (const title of settings.titleRows ?? []) {
    const text = title.values.filter((cell) => cell.trim() !== '').join(' ');
    console.log(
      `Title:     row ${title.sourceRow} “${text}” left out; if it is data, add --no-header (every row is then data), or --keep-title-rows to read it as the header`,
    );
  }
  if (sample.length > 0) {
    console.log(`\nFirst ${sample.length} row${sample.length === 1 ? '' : 's'}:`);
    const widths = table.columns.map((column, i) =>
      Math.min(30, Math.max(column.length, ...sample.map((row) => (row[i] ?? '').length))),
    );
    const clip = (text: string, width: number): string => {
      const flat = text.replace(/\s+/g, ' ');
      return (flat.length > width ? `${flat.slice(0, width - 1)}…` : flat).padEnd(width);
    };
    console.log(`  ${table.columns.map((c, i) => clip(c, widths[i] ?? 10)).join(' | ')}`);
    for (const row of sample)
      console.log(`  ${table.columns.map((_, i) => clip(row[i] ?? '', widths[i] ?? 10)).join(' | ')}`);
  }
  return 0;
}
