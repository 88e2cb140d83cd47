import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { inspectCommand } from '../../electron/cli/inspect.ts';

describe('rowbot inspect: a row left out as a title', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rowbot-inspect-'));
  const file = join(dir, 'sales.csv');
  writeFileSync(file, 'Q3 sales by store,,\nstore,city,sales\nNorth,Leeds,1200\nSouth,Bath,980\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function inspect(...args: string[]): Promise<string> {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      expect(await inspectCommand([file, ...args])).toBe(0);
    } finally {
      log.mockRestore();
    }
    return lines.join('\n');
  }

  it('is named with its text and how to keep it; --no-header and --keep-title-rows keep it', async () => {
    const text = await inspect();
    expect(text).toContain('Rows:      2');
    expect(text).toContain('Title:     row 1 “Q3 sales by store” left out; if it is data, add --no-header');
    expect(JSON.parse(await inspect('--json')).titleRows).toEqual([
      { sourceRow: 1, values: ['Q3 sales by store', '', ''] },
    ]);
    const noHeader = await inspect('--no-header');
    expect(noHeader).toContain('Rows:      4');
    expect(noHeader).not.toContain('Title:');
    const kept = await inspect('--keep-title-rows');
    expect(kept).toContain('Columns:   3: Q3 sales by store, Column B, Column C');
    expect(kept).toContain('Rows:      3');
  });
});
