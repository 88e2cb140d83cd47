// The .xlsx reader and writers live in ./xlsx/; this file keeps the path other modules import.
export { readXlsx, writeBackXlsx, writeResultsXlsx } from './xlsx/index.ts';
export type { WriteBackOptions, XlsxCell, XlsxSheet } from './xlsx/index.ts';
