import type { SheetPreview } from '../../../shared/api.ts';
import type { TitleRow } from '../../../shared/sheets.ts';
import { plural } from '../format.ts';
import { ImportSettingsBar, useReimport, type Reimport } from './ImportSettingsBar.tsx';

/** The note the engine writes for title rows: the preview shows the rows themselves instead. */
const TITLE_NOTE = /above the table looked like a title and (was|were) left out\.$/;

export function SheetPreviewTable({
  preview,
  rows = 5,
  onChange,
}: {
  preview: SheetPreview;
  rows?: number;
  onChange: (next: SheetPreview) => void;
}) {
  const reimport = useReimport(preview, onChange);
  const titleRows = preview.settings.hasHeader ? (preview.settings.titleRows ?? []) : [];
  const notes = titleRows.length > 0 ? preview.notes.filter((note) => !TITLE_NOTE.test(note)) : preview.notes;
  return (
    <div className="preview">
      <p>
        <strong>{preview.fileName}</strong> · {plural(preview.rowCount, 'row')} ·{' '}
        {plural(preview.columns.length, 'column')}
      </p>
      <ImportSettingsBar reimport={reimport} />
      {notes.length > 0 && (
        <ul className="notes" aria-label="Import notes">
          {notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      {titleRows.length > 0 && <TitleRows rows={titleRows} reimport={reimport} />}
      <div className="preview-scroll">
        <table className="preview-table" aria-label="First rows of the file">
          <thead>
            <tr>
              <th scope="col" className="num">
                #
              </th>
              {preview.columns.map((column) => (
                <th scope="col" key={column}>
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.sampleRows.slice(0, rows).map((row, i) => (
              <tr key={i}>
                <td className="num muted">{i + 1}</td>
                {preview.columns.map((column, c) => (
                  <td key={column}>{row[c]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/**
 * Rows above the table taken as a title: shown as the file has them, struck out, with one
 * click to keep them as data. Data above the row that looked like a header means that row
 * is data too, so the file is read without a header (ticking the header box again makes the
 * kept row the header).
 */
function TitleRows({ rows, reimport }: { rows: TitleRow[]; reimport: Reimport }) {
  const one = rows.length === 1;
  const numbers = rows.map((row) => row.sourceRow).join(', ');
  return (
    <section className="title-rows" aria-label="Left out as a title">
      <p className="title-rows-head">
        <span className="badge-title">Title · not imported</span>
        <span className="muted small">
          {one ? 'This row' : 'These rows'} above the table {one ? 'looks' : 'look'} like a title, so{' '}
          {one ? 'it is' : 'they are'} not sent to the model. If {one ? 'it is' : 'they are'} data, keep{' '}
          {one ? 'it' : 'them'}: the file is then read without a header row.
        </span>
        <button
          type="button"
          disabled={reimport.busy}
          onClick={() => void reimport.apply({ keepTitleRows: true, hasHeader: false })}
        >
          {one ? `Keep row ${numbers} as data` : `Keep rows ${numbers} as data`}
        </button>
      </p>
      <table className="preview-table title-rows-table" aria-label="Rows left out as a title">
        <tbody>
          {rows.map((row) => (
            <tr key={row.sourceRow}>
              <th scope="row" className="num muted">
                Row {row.sourceRow}
              </th>
              {row.values.map((cell, c) => (
                <td key={c}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
