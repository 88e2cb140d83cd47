// Reading and writing .xlsx workbooks. Reading parses the parts it needs itself (fflate for the
// zip, saxes for the XML); writing builds the workbook with ExcelJS and zips its parts with fflate.
export { readXlsx } from './read.ts';
export type { XlsxSheet } from './read.ts';
export { writeBackXlsx, writeResultsXlsx } from './write.ts';
export type { WriteBackOptions, XlsxCell } from './write.ts';
