import { describe, expect, it } from 'vitest';
import {
  columnNameProblem,
  columnTemplateProblem,
  columnUses,
  examplesBlock,
  freshColumnName,
  renamePlaceholder,
  rowStatusOf,
  templateSlots,
} from '../../shared/columns.ts';

const SHEET = ['name', 'text'];
const AI = [
  { id: 0, name: 'summary' },
  { id: 3, name: 'label' },
];

describe('columnUses', () => {
  it('lists the AI columns a template uses, in column order, by id', () => {
    expect(columnUses('{{label}} / {{summary}} / {{text}}', SHEET, AI)).toEqual([0, 3]);
    expect(columnUses('{{ Label }}', SHEET, AI)).toEqual([3]);
    expect(columnUses('{{text}} only', SHEET, AI)).toEqual([]);
  });

  it('counts a JSON field of a column ({{triage.language}}) as a use of that column', () => {
    const withFields = [{ id: 7, name: 'triage', fields: ['language', 'urgent'] }];
    expect(columnUses('Reply in {{triage.language}}', SHEET, withFields)).toEqual([7]);
    expect(templateSlots(SHEET, withFields).map((slot) => slot.name)).toEqual([
      'name',
      'text',
      'triage',
      'triage.language',
      'triage.urgent',
    ]);
    expect(columnTemplateProblem('{{triage.language}}', 'reply', SHEET, [], withFields)).toContain(
      '{{triage.language}} is a later AI column',
    );
  });

  it('gives a sheet column precedence over an AI column of the same name', () => {
    expect(columnUses('{{text}}', SHEET, [{ id: 1, name: 'text' }])).toEqual([]);
  });
});

describe('columnTemplateProblem', () => {
  it('accepts the sheet and the columns to the left', () => {
    expect(columnTemplateProblem('{{name}}: {{summary}}', 'reply', SHEET, AI, [])).toBeNull();
  });

  it('tells a column that uses a later column to move, and one that uses itself that it cannot', () => {
    expect(columnTemplateProblem('{{label}}', 'tone', SHEET, AI.slice(0, 1), AI.slice(1))).toBe(
      '{{label}} is a later AI column: “tone” can only use the columns before it. Move “tone” after “label”, or use an earlier column.',
    );
    expect(columnTemplateProblem('{{tone}}', 'tone', SHEET, AI, [])).toContain('its own answer');
  });

  it('names the columns it could use when a placeholder matches none', () => {
    expect(columnTemplateProblem('{{summry}}', 'x', SHEET, AI, [])).toBe(
      '{{summry}} is not a column of this file. Did you mean {{summary}}? The columns are: name, text, summary, label.',
    );
  });
});

describe('columnNameProblem', () => {
  it('refuses empty names, braces, and names already taken (case folded)', () => {
    expect(columnNameProblem('  ', SHEET, [])).toContain('Give the column a name');
    expect(columnNameProblem('a{b}', SHEET, [])).toContain('cannot contain {');
    expect(columnNameProblem('x'.repeat(65), SHEET, [])).toBe('A column name has at most 64 characters.');
    expect(columnNameProblem('Text', SHEET, [])).toContain('already a column of the file');
    expect(columnNameProblem('LABEL', SHEET, ['label'])).toContain('already an AI column called “LABEL”');
    expect(columnNameProblem('tone', SHEET, ['label'])).toBeNull();
  });
});

describe('freshColumnName', () => {
  it('keeps a free name and numbers a taken one', () => {
    expect(freshColumnName('label gpt-4o', ['label'])).toBe('label gpt-4o');
    expect(freshColumnName('label', ['label', 'Label 2'])).toBe('label 3');
  });
});

describe('renamePlaceholder', () => {
  it('renames the placeholders of a column and leaves escaped braces and other names alone', () => {
    expect(renamePlaceholder('A {{label}} B {{ label }} \\{{label}} {{labels}}', 'label', 'category')).toBe(
      'A {{category}} B {{category}} \\{{label}} {{labels}}',
    );
    expect(renamePlaceholder('{{text}}', 'label', 'category')).toBe('{{text}}');
  });
});

describe('examplesBlock', () => {
  it('is empty without corrections and shows each input with its corrected answer', () => {
    expect(examplesBlock([])).toBe('');
    const block = examplesBlock([{ prompt: 'Classify: late parcel', output: 'complaint' }]);
    expect(block).toContain('Example 1\nInput:\nClassify: late parcel\nCorrect answer:\ncomplaint');
    expect(block.endsWith('Now the real input:\n')).toBe(true);
  });
});

describe('rowStatusOf', () => {
  it('is failed, running, queued, skipped or done over the cells', () => {
    const of = (...statuses: string[]) => rowStatusOf(statuses.map((status) => ({ status }) as never));
    expect(of('done', 'running', 'failed')).toBe('failed');
    expect(of('done', 'running', 'queued')).toBe('running');
    expect(of('done', 'failed', 'queued')).toBe('failed');
    expect(of('done', 'queued')).toBe('queued');
    expect(of('skipped', 'skipped')).toBe('skipped');
    expect(of('done', 'skipped')).toBe('done');
  });
});
