// rowbot run's AI column flags (issue 17): --template is the column `output`, each --column
// NAME=TEMPLATE one more in order, --column-model NAME=MODEL a column's own model; and every
// mistake refused in words that say what to do.
import { describe, expect, it } from 'vitest';
import { columnsFromFlags } from '../../electron/cli/column-flags.ts';
import { UsageError } from '../../electron/cli/exit.ts';

const SHEET = ['text', 'lang'];

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('columnsFromFlags', () => {
  it('gives nothing when no prompt is given', () => {
    expect(columnsFromFlags({}, SHEET)).toBeNull();
  });

  it('makes --template the one column named output, as before', () => {
    expect(columnsFromFlags({ template: 'Summarize {{text}}' }, SHEET)).toEqual([
      { name: 'output', template: 'Summarize {{text}}' },
    ]);
  });

  it('takes --column flags in order; a later template uses earlier columns by name; the first = splits', () => {
    expect(
      columnsFromFlags(
        {
          column: [
            'summary=Summarize {{text}}',
            'label=Label {{summary}} as a=b',
            ' reply =Reply in {{lang}}: {{label}}',
          ],
          columnModel: ['label=gpt-4o', 'reply=gpt-4o-mini'],
        },
        SHEET,
      ),
    ).toEqual([
      { name: 'summary', template: 'Summarize {{text}}' },
      { name: 'label', template: 'Label {{summary}} as a=b', model: 'gpt-4o' },
      { name: 'reply', template: 'Reply in {{lang}}: {{label}}', model: 'gpt-4o-mini' },
    ]);
  });

  it('puts --template first, as output, and the --column flags after it', () => {
    expect(
      columnsFromFlags({ template: 'Summarize {{text}}', column: ['label=Label {{output}}'] }, SHEET)?.map(
        (plan) => plan.name,
      ),
    ).toEqual(['output', 'label']);
  });

  it('refuses a --column without =, saying how to write it', () => {
    expect(refusal(() => columnsFromFlags({ column: ['Summarize {{text}}'] }))).toBe(
      '--column "Summarize {{text}}" has no "=": write it as NAME=TEMPLATE, e.g. --column "summary=Summarize: {{text}}".',
    );
  });

  it('refuses an empty name', () => {
    expect(refusal(() => columnsFromFlags({ column: ['  =Summarize {{text}}'] }))).toContain(
      'has no name before the "=": write it as NAME=TEMPLATE',
    );
  });

  it('refuses a name with braces or too long, as the app does', () => {
    expect(refusal(() => columnsFromFlags({ column: ['{x}=hi'] }))).toBe(
      '--column: the column name "{x}" must be one line without { or }.',
    );
    expect(refusal(() => columnsFromFlags({ column: [`${'n'.repeat(65)}=hi`] }))).toContain(
      'must be at most 64 characters',
    );
  });

  it('refuses two columns of one name, capitals aside, and says which', () => {
    expect(refusal(() => columnsFromFlags({ column: ['summary=a {{text}}', 'summary=b {{text}}'] }))).toBe(
      'Two AI columns are named "summary" (--column "summary" comes before it): give each --column its own name.',
    );
    expect(refusal(() => columnsFromFlags({ column: ['summary=a', 'Summary=b'] }))).toContain(
      'names that differ only in capitals count as the same',
    );
    expect(refusal(() => columnsFromFlags({ template: 'a', column: ['output=b'] }))).toContain(
      '--template is the column "output"',
    );
  });

  it('refuses a --column-model naming no column, listing the columns', () => {
    expect(refusal(() => columnsFromFlags({ column: ['summary=a', 'label=b'], columnModel: ['reply=gpt-4o'] }))).toBe(
      '--column-model "reply=gpt-4o" names no column: the AI columns are summary, label. Use one of these names, or add the column with --column reply=TEMPLATE.',
    );
    expect(refusal(() => columnsFromFlags({ columnModel: ['reply=gpt-4o'] }))).toContain(
      'add the columns with --column NAME=TEMPLATE',
    );
    expect(refusal(() => columnsFromFlags({ column: ['summary=a'], columnModel: ['summary'] }))).toContain(
      '--column-model "summary" has no "="',
    );
    expect(refusal(() => columnsFromFlags({ column: ['summary=a'], columnModel: ['summary=x', 'summary=y'] }))).toBe(
      '--column-model gives the column "summary" two models: give it one.',
    );
  });

  it('refuses a template that uses a column to its right, saying how to fix it', () => {
    expect(
      refusal(() => columnsFromFlags({ column: ['label=Label {{reply}}', 'reply=Reply to {{text}}'] }, SHEET)),
    ).toBe(
      '--column label: {{reply}} is a later AI column: “label” can only use the columns before it. Move “label” after “reply”, or use an earlier column.',
    );
  });

  it("lets a template use one field of an earlier column's JSON answer, and refuses a later column's", () => {
    const fields = ['score', 'tone'];
    expect(
      columnsFromFlags(
        { column: ['summary=Rate {{text}}', 'reply=Reply in a {{summary.tone}} tone'] },
        SHEET,
        fields,
      )?.map((plan) => plan.name),
    ).toEqual(['summary', 'reply']);
    expect(
      refusal(() =>
        columnsFromFlags({ column: ['reply=Reply {{summary.tone}}', 'summary=Rate {{text}}'] }, SHEET, fields),
      ),
    ).toBe(
      '--column reply: {{summary.tone}} is a later AI column: “reply” can only use the columns before it. Move “reply” after “summary”, or use an earlier column.',
    );
    expect(
      refusal(() =>
        columnsFromFlags({ column: ['summary=Rate {{text}}', 'reply=Reply {{summary.tne}}'] }, SHEET, fields),
      ),
    ).toContain('{{summary.tne}} is not a column of this file. Did you mean {{summary.tone}}');
  });

  it('refuses a template that uses its own column', () => {
    expect(refusal(() => columnsFromFlags({ column: ['summary=Again {{summary}}'] }, SHEET))).toContain(
      'The prompt of “summary” uses {{summary}}, its own answer',
    );
  });

  it("refuses an unknown name with the file's and the earlier columns' names, and a suggestion", () => {
    const message = refusal(() => columnsFromFlags({ column: ['summary=a {{text}}', 'label=b {{sumary}}'] }, SHEET));
    expect(message).toBe(
      '--column label: {{sumary}} is not a column of this file. Did you mean {{summary}}? The columns are: text, lang, summary.',
    );
  });

  it('says a lone --template problem as it always did', () => {
    expect(refusal(() => columnsFromFlags({ template: 'x {{txt}}' }, SHEET))).toBe(
      '{{txt}} is not a column of this file. Did you mean {{text}}? The columns are: text, lang.',
    );
    expect(refusal(() => columnsFromFlags({ template: '  ' }, SHEET))).toContain('The prompt template is empty.');
  });

  it("refuses an AI column named as one of the file's columns", () => {
    expect(refusal(() => columnsFromFlags({ column: ['Text=Summarize {{lang}}'] }, SHEET))).toBe(
      '--column Text: “Text” is already a column of the file: choose another name, so that {{Text}} means one thing.',
    );
  });

  it('refuses more AI columns than a job may have', () => {
    const column = Array.from({ length: 21 }, (_, i) => `c${i}=hi`);
    expect(refusal(() => columnsFromFlags({ column }))).toBe(
      'A job has at most 20 AI columns, and these flags give 21.',
    );
  });
});
