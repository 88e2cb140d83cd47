import { posix } from 'node:path';
import { cellTooLong } from '../limits.ts';
import { damaged, noWorksheets } from './checks.ts';
import { xmlParser } from './xml.ts';
import type { XmlHandlers } from './xml.ts';
import { partKey, readEntry } from './zip.ts';
import type { Zip, ZipEntry } from './zip.ts';

/** The entry that holds a part, if any: names ignore case, and may be percent-encoded. */
export function findPart(zip: Zip, path: string): ZipEntry | undefined {
  const name = partKey(path);
  const found = zip.entries.get(name);
  if (found !== undefined || !name.includes('%')) return found;
  try {
    return zip.entries.get(decodeURIComponent(name));
  } catch {
    return undefined;
  }
}

/** Parses the XML of a part as it is inflated. */
export async function parsePart(zip: Zip, entry: ZipEntry, handlers: XmlHandlers): Promise<void> {
  // A text run longer than a cell may be (and some room for the markup in it) is no cell.
  const { fileName, limits } = zip;
  const parser = xmlParser(handlers, {
    textChars: limits.rowChars + 64 * 1024,
    tooLong: () => cellTooLong(fileName, limits.rowChars),
  });
  await readEntry(zip, entry, (chunk) => parser.write(chunk));
  parser.end();
}

// The package: relationships lead from the root to the workbook, and from it to its sheets,
// styles and shared strings.

interface Relationship {
  type: string;
  /** The part it points to, as a path inside the zip. */
  target: string;
}

/** The relationships of a part ('' for the package itself), by id. */
async function readRelationships(zip: Zip, part: string): Promise<Map<string, Relationship>> {
  const folder = posix.dirname(part);
  const relationships = new Map<string, Relationship>();
  const entry = findPart(zip, posix.join(folder, '_rels', `${posix.basename(part)}.rels`));
  if (entry === undefined) return relationships;
  await parsePart(zip, entry, {
    open: (name, attributes) => {
      if (name !== 'Relationship') return;
      const { Id: id, Type: type = '', Target: written, TargetMode: mode } = attributes;
      if (id === undefined || written === undefined || mode === 'External') return;
      // The writers that name entries with backslashes may point to them so too.
      const target = written.replaceAll('\\', '/');
      const path = target.startsWith('/') ? posix.normalize(target.slice(1)) : posix.join(folder, target);
      relationships.set(id, { type, target: path });
    },
  });
  return relationships;
}

/** The first relationship of a type, by the last part of its type URI (transitional and strict differ before it). */
function relatedPart(relationships: Map<string, Relationship>, type: string): string | undefined {
  for (const relationship of relationships.values()) {
    if (relationship.type.endsWith(`/${type}`)) return relationship.target;
  }
  return undefined;
}

export interface SheetPart {
  name: string;
  hidden: boolean;
  entry: ZipEntry;
}

export interface WorkbookParts {
  /** The worksheets in tab order (chart, dialog and macro sheets left out). */
  sheets: SheetPart[];
  date1904: boolean;
  /** The workbook asks to be calculated when opened (calcPr fullCalcOnLoad): its saved results may be missing or 0. */
  calculateOnLoad: boolean;
  /** The entries of the styles and the shared strings, if the zip has them. */
  styles: ZipEntry | undefined;
  sharedStrings: ZipEntry | undefined;
}

export async function readWorkbookParts(zip: Zip, fileName: string): Promise<WorkbookParts> {
  const root = await readRelationships(zip, '');
  const workbookPart = relatedPart(root, 'officeDocument') ?? 'xl/workbook.xml';
  const entry = findPart(zip, workbookPart);
  if (entry === undefined) throw damaged(fileName);

  const listed: { name: string; hidden: boolean; id: string | undefined }[] = [];
  let rootElement: string | undefined;
  let date1904 = false;
  let calculateOnLoad = false;
  await parsePart(zip, entry, {
    open: (name, attributes) => {
      rootElement ??= name;
      if (name === 'sheet') {
        // The relationship id is r:id, whatever the prefix of its namespace.
        const idKey = Object.keys(attributes).find((key) => key.endsWith(':id'));
        const state = attributes.state;
        listed.push({
          name: attributes.name ?? '',
          hidden: state === 'hidden' || state === 'veryHidden',
          id: idKey === undefined ? undefined : attributes[idKey],
        });
      } else if (name === 'workbookPr') {
        date1904 = attributes.date1904 === '1' || attributes.date1904 === 'true';
      } else if (name === 'calcPr') {
        calculateOnLoad = attributes.fullCalcOnLoad === '1' || attributes.fullCalcOnLoad === 'true';
      }
    },
  });
  // A Word document, a presentation or some other zip.
  if (rootElement !== 'workbook') throw damaged(fileName);

  const related = await readRelationships(zip, workbookPart);
  const sheets: SheetPart[] = [];
  let missing = false;
  for (const { name, hidden, id } of listed) {
    const relationship = id === undefined ? undefined : related.get(id);
    if (relationship === undefined || !relationship.type.endsWith('/worksheet')) continue;
    const sheetEntry = findPart(zip, relationship.target);
    if (sheetEntry === undefined) missing = true;
    else sheets.push({ name, hidden, entry: sheetEntry });
  }
  if (sheets.length === 0) throw missing ? damaged(fileName) : noWorksheets(fileName);
  const folder = posix.dirname(workbookPart);
  return {
    sheets,
    date1904,
    calculateOnLoad,
    styles: findPart(zip, relatedPart(related, 'styles') ?? posix.join(folder, 'styles.xml')),
    sharedStrings: findPart(zip, relatedPart(related, 'sharedStrings') ?? posix.join(folder, 'sharedStrings.xml')),
  };
}
