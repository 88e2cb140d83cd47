import chardet from 'chardet';
import { ENCODINGS, type EncodingId } from '../../../shared/sheets.ts';

export { ENCODINGS, encodingLabel, type EncodingId } from '../../../shared/sheets.ts';

export function isEncodingId(value: string): value is EncodingId {
  return ENCODINGS.some((e) => e.id === value);
}

export interface DetectedEncoding {
  encoding: EncodingId;
  /** How many bytes of byte-order mark to skip. */
  bomLength: number;
  /** What told us: a byte-order mark, valid UTF-8, a statistical guess, or the user. */
  source: 'bom' | 'utf8-valid' | 'guess' | 'user';
}

const CHARDET_TO_WHATWG: Record<string, EncodingId> = {
  'UTF-8': 'utf-8',
  'UTF-16LE': 'utf-16le',
  'UTF-16BE': 'utf-16be',
  'ISO-8859-1': 'windows-1252',
  'windows-1252': 'windows-1252',
  'ISO-8859-2': 'windows-1250',
  'windows-1250': 'windows-1250',
  'windows-1251': 'windows-1251',
  'ISO-8859-5': 'windows-1251',
  'KOI8-R': 'windows-1251',
  'ISO-8859-15': 'iso-8859-15',
  Shift_JIS: 'shift_jis',
  GB18030: 'gb18030',
  Big5: 'big5',
  'EUC-KR': 'euc-kr',
};

function bomOf(bytes: Uint8Array): DetectedEncoding | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { encoding: 'utf-8', bomLength: 3, source: 'bom' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2, source: 'bom' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2, source: 'bom' };
  return null;
}

/** True when `bytes` is valid UTF-8, allowing a multi-byte character cut at the very end of a sample. */
export function isValidUtf8(bytes: Uint8Array, isSample: boolean): boolean {
  let end = bytes.length;
  if (isSample) {
    // Back off up to three bytes so a character split by the sample's end is not an error.
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && ((bytes[end - back - 1] ?? 0) & 0xc0) === 0x80) back += 1;
    if (end - back - 1 >= 0 && ((bytes[end - back - 1] ?? 0) & 0x80) !== 0) end -= back + 1;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides how to read a file from its first bytes: a byte-order mark wins; then valid
 * UTF-8; then a statistical guess (chardet), defaulting to Windows-1252, which is what
 * Excel writes on Western Windows machines.
 */
export function detectEncoding(sample: Uint8Array, isWholeFile: boolean): DetectedEncoding {
  const bom = bomOf(sample);
  if (bom) return bom;
  if (isValidUtf8(sample, !isWholeFile)) return { encoding: 'utf-8', bomLength: 0, source: 'utf8-valid' };
  const guess = chardet.detect(sample);
  const encoding = (guess && CHARDET_TO_WHATWG[guess]) || 'windows-1252';
  return { encoding: encoding === 'utf-8' ? 'windows-1252' : encoding, bomLength: 0, source: 'guess' };
}

/** The byte-order mark length of `bytes` when it matches `encoding`, so an override still skips it. */
export function bomLengthFor(bytes: Uint8Array, encoding: EncodingId): number {
  const bom = bomOf(bytes);
  return bom && bom.encoding === encoding ? bom.bomLength : 0;
}
