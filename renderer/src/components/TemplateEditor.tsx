import { useLayoutEffect, useRef } from 'react';
import { checkTemplate, describeTemplateProblem, renderTemplate } from '../../../shared/template.ts';

interface Props {
  /** Every name the template may use (an AI column's prompt: the sheet's columns, then the AI columns to its left). */
  columns: string[];
  /** Which of `columns` are AI columns' answers: offered apart from the sheet's columns. */
  aiColumns?: readonly string[];
  sampleRows: string[][];
  template: string;
  onChange: (template: string) => void;
}

/** The prompt with clickable column chips and a live preview of the first rows. */
export function TemplateEditor({ columns, aiColumns = [], sampleRows, template, onChange }: Props) {
  const area = useRef<HTMLTextAreaElement>(null);
  const pendingCaret = useRef<number | null>(null);
  const check = checkTemplate(template, columns);
  const problem = template.trim() === '' ? null : describeTemplateProblem(check, columns);

  function insert(column: string): void {
    const element = area.current;
    const token = `{{${column}}}`;
    const start = element?.selectionStart ?? template.length;
    const end = element?.selectionEnd ?? template.length;
    pendingCaret.current = start + token.length;
    onChange(template.slice(0, start) + token + template.slice(end));
  }

  // Put the caret after the inserted placeholder as soon as React has written the new value.
  useLayoutEffect(() => {
    const caret = pendingCaret.current;
    if (caret === null || !area.current) return;
    pendingCaret.current = null;
    area.current.focus();
    area.current.setSelectionRange(caret, caret);
  }, [template]);

  return (
    <div className="template-editor">
      <ChipGroup
        label="Columns: click to insert"
        intro="Insert a column:"
        names={columns.filter((column) => !aiColumns.includes(column))}
        onInsert={insert}
      />
      {aiColumns.length > 0 && (
        <ChipGroup
          label="AI columns: click to insert their answer"
          intro="Insert an AI column’s answer:"
          names={aiColumns}
          ai
          onInsert={insert}
        />
      )}
      <label className="field">
        <span>Prompt template</span>
        <textarea
          ref={area}
          value={template}
          rows={5}
          placeholder={`e.g. Write a one-sentence product description for {{${columns[0] ?? 'column'}}}.`}
          onChange={(event) => onChange(event.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby="template-help"
        />
      </label>
      <p id="template-help" className={problem ? 'error-text' : 'muted small'} role={problem ? 'alert' : undefined}>
        {problem ?? 'Each {{column}} is replaced by that row’s value. Write \\{{ for literal braces.'}
      </p>
      {check.caseWarnings.map(({ name, column }) => (
        <p key={name} className="warning-text small">
          {`{{${name}}} matches the column “${column}” only when case is ignored.`}
        </p>
      ))}
      {!problem && template.trim() !== '' && (
        <section aria-label="Prompt preview" className="prompt-preview">
          <h3>What the first rows will send</h3>
          <ol>
            {sampleRows.slice(0, 3).map((row, i) => (
              <li key={i}>
                <pre>{renderTemplate(template, columns, row)}</pre>
              </li>
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}

function ChipGroup({
  label,
  intro,
  names,
  ai = false,
  onInsert,
}: {
  label: string;
  intro: string;
  names: readonly string[];
  ai?: boolean;
  onInsert: (name: string) => void;
}) {
  return (
    <div className="chips" role="group" aria-label={label}>
      <span className="muted small">{intro}</span>
      {names.map((column) => (
        <button
          type="button"
          key={column}
          className={ai ? 'chip chip-ai' : 'chip'}
          aria-label={`Insert column ${column}`}
          // Keep the caret in the prompt while clicking a chip.
          onMouseDown={(event) => event.preventDefault()}
          onClick={() => onInsert(column)}
        >
          {column}
        </button>
      ))}
    </div>
  );
}
