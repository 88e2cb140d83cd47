import type { SheetPreview } from '../../../shared/api.ts';
import { plural } from '../format.ts';
import { ImportSettingsBar } from './ImportSettingsBar.tsx';

export function SheetPreviewTable({
  preview,
  rows = 5,
  onChange,
}: {
  preview: SheetPreview;
  rows?: number;
  onChange: (next: SheetPreview) => void;
}) {
  return (
    <div className="preview">
      <p>
        <strong>{preview.fileName}</strong> · {plural(preview.rowCount, 'row')} ·{' '}
        {plural(preview.columns.length, 'column')}
      </p>
      <ImportSettingsBar preview={preview} onChange={onChange} />
      {preview.notes.length > 0 && (
        <ul className="notes" aria-label="Import notes">
          {preview.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
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
