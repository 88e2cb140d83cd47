import { describe, expect, it } from 'vitest';
import {
  checkTemplate,
  closestNames,
  describeTemplateProblem,
  parseTemplate,
  renderTemplate,
} from '../../shared/template.ts';

const columns = ['product name', 'Price', 'Beschreibung (DE)', 'emoji 🎉'];

describe('renderTemplate', () => {
  it('fills placeholders with spaces and any Unicode in their names', () => {
    expect(
      renderTemplate('{{product name}} costs {{ Price }}; {{emoji 🎉}}', columns, ['Lamp', '10', 'x', 'yes']),
    ).toBe('Lamp costs 10; yes');
  });

  it('writes \\{{ as a literal {{', () => {
    expect(renderTemplate('Use \\{{braces}} around {{Price}}', columns, ['', '5'])).toBe('Use {{braces}} around 5');
    expect(parseTemplate('\\{{x}}').placeholders).toEqual([]);
  });

  it('matches case-insensitively with a warning when there is no exact match', () => {
    const check = checkTemplate('{{price}}', columns);
    expect(check.unknown).toEqual([]);
    expect(check.caseWarnings).toEqual([{ name: 'price', column: 'Price' }]);
    expect(renderTemplate('{{price}}', columns, ['', '7'])).toBe('7');
  });

  it('treats an empty cell as empty text', () => {
    expect(renderTemplate('[{{Price}}]', columns, ['Lamp'])).toBe('[]');
  });
});

describe('checkTemplate', () => {
  it('lists every unknown placeholder with the closest columns', () => {
    const check = checkTemplate('{{prodct name}} {{Prise}} {{zzzzzz}}', columns);
    expect(check.unknown).toEqual([
      { name: 'prodct name', suggestions: ['product name'] },
      { name: 'Prise', suggestions: ['Price'] },
      { name: 'zzzzzz', suggestions: [] },
    ]);
    expect(describeTemplateProblem(check, columns)).toContain(
      '{{prodct name}} is not a column of this file. Did you mean {{product name}}?',
    );
  });

  it('flags an empty template and an unclosed placeholder', () => {
    expect(describeTemplateProblem(checkTemplate('  ', columns), columns)).toContain('empty');
    expect(describeTemplateProblem(checkTemplate('Hi {{Price', columns), columns)).toContain('never closed');
    expect(describeTemplateProblem(checkTemplate('Hi {{Price}}', columns), columns)).toBeNull();
  });
});

describe('closestNames', () => {
  it('ranks by edit distance', () => {
    expect(closestNames('nme', ['name', 'game', 'address'])).toEqual(['name', 'game']);
  });
});
