// Reading and writing .xlsx workbooks. Reading parses the parts it needs itself (fflate for the
// zip, saxes for the XML). A new workbook of results is written part by part, streamed through
// fflate; a write-back into the user's workbook is made with ExcelJS and zipped with fflate.
export type { XlsxCell } from './cell-text.ts';
export { readXlsx } from './read.ts';
export type { XlsxSheet } from './read.ts';
export { writeResultsXlsx } from './results.ts';
export { writeBackXlsx } from './write.ts';
export type { WriteBackOptions } from './write.ts';
