import {
  DELIMITERS,
  ENCODINGS,
  IMPORT_FORMATS,
  type EncodingId,
  type ImportFormat,
  type ImportOptions,
} from '../../shared/sheets.ts';

/** Flags that steer an import, shared by `rowbot run` and `rowbot inspect`. */
export const IMPORT_FLAGS = {
  format: { type: 'string' },
  sheet: { type: 'string' },
  delimiter: { type: 'string' },
  encoding: { type: 'string' },
  header: { type: 'boolean' },
  'keep-title-rows': { type: 'boolean' },
} as const;

const NAMED_DELIMITERS: Record<string, string> = { comma: ',', semicolon: ';', tab: '\t', pipe: '|', '\\t': '\t' };

export function importOptionsFromFlags(
  values: {
    format?: string;
    sheet?: string;
    delimiter?: string;
    encoding?: string;
    header?: boolean;
    'keep-title-rows'?: boolean;
  },
  fail: (message: string) => never,
): ImportOptions {
  const options: ImportOptions = {};
  if (values.format !== undefined) {
    const format = values.format.toLowerCase().replace(/^tsv$|^txt$/, 'csv');
    if (!(IMPORT_FORMATS as readonly string[]).includes(format)) {
      fail(`--format must be csv, xlsx, json or jsonl, not "${values.format}".`);
    }
    options.format = format as ImportFormat;
  }
  if (values.sheet !== undefined) options.sheet = values.sheet;
  // --no-header: every row is data, none is left out as a title above the table.
  if (values.header !== undefined) options.hasHeader = values.header;
  if (values['keep-title-rows']) options.keepTitleRows = true;
  if (values.delimiter !== undefined) {
    const delimiter = NAMED_DELIMITERS[values.delimiter.toLowerCase()] ?? values.delimiter;
    if ([...delimiter].length !== 1) {
      fail(`--delimiter must be one character or one of comma, semicolon, tab, pipe, not "${values.delimiter}".`);
    }
    options.delimiter = delimiter;
  }
  if (values.encoding !== undefined) {
    const wanted = values.encoding
      .toLowerCase()
      .replace(/^utf8$/, 'utf-8')
      .replace(/^latin-?1$/, 'windows-1252');
    const match = ENCODINGS.find((e) => e.id === wanted);
    if (!match) fail(`--encoding must be one of ${ENCODINGS.map((e) => e.id).join(', ')}, not "${values.encoding}".`);
    options.encoding = match.id as EncodingId;
  }
  return options;
}

export const DELIMITER_NAMES = DELIMITERS.map((d) => d.label).join(', ');
