import type { Workbook } from 'exceljs';
import { zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { writeFile } from 'node:fs/promises';
import { writeAtomically } from '../atomic-file.ts';

/** Takes the parts ExcelJS renders in place of its own zip writer. */
interface PartSink {
  append(data: string | Uint8Array | ArrayBuffer, options: { name: string; base64?: boolean }): void;
}

type RenderStep = (zip: PartSink, model: unknown) => unknown;

/**
 * The methods of ExcelJS's XLSX class (lib/xlsx/xlsx.js in 4.4.0) that its write() calls, which
 * ExcelJS's types leave out.
 */
type XlsxRenderer = { prepareModel: (model: unknown, options: object) => void } & Record<
  (typeof RENDER_STEPS)[number],
  RenderStep
>;

/** The parts in the order ExcelJS's write() renders them (shared strings after the worksheets). */
const RENDER_STEPS = [
  'addContentTypes',
  'addOfficeRels',
  'addWorkbookRels',
  'addWorksheets',
  'addSharedStrings',
  'addDrawings',
  'addTables',
  'addThemes',
  'addStyles',
  'addMedia',
  'addApp',
  'addCore',
  'addWorkbook',
] as const;

/**
 * The parts of the package, as ExcelJS renders them, each encoded to UTF-8 whole.
 *
 * Not workbook.xlsx.write(): ExcelJS hands each part's XML to JSZip as a string, and JSZip (3.10)
 * encodes a string in slices of 16,384 UTF-16 units, each on its own. A character outside the
 * Basic Multilingual Plane (an emoji, some CJK) that straddles two slices is written as two
 * U+FFFD, so a long sheet or shared-strings part loses such characters here and there
 * (Stuk/jszip#963). Rendering is still ExcelJS's; only the zipping is done with fflate.
 */
async function renderParts(workbook: Workbook): Promise<Zippable> {
  const parts: Zippable = {};
  const sink: PartSink = {
    append(data, { name, base64 = false }) {
      if (typeof data === 'string') parts[name] = Buffer.from(data, base64 ? 'base64' : 'utf8');
      else parts[name] = data instanceof Uint8Array ? data : new Uint8Array(data);
    },
  };
  const xlsx = workbook.xlsx as unknown as XlsxRenderer;
  const { model } = workbook;
  xlsx.prepareModel(model, {});
  for (const step of RENDER_STEPS) await xlsx[step](sink, model);
  return parts;
}

/** Renders the workbook and writes it atomically (see writeAtomically). */
export async function saveWorkbook(workbook: Workbook, path: string): Promise<void> {
  await writeAtomically(path, async (temp) => writeFile(temp, zipSync(await renderParts(workbook))));
}
