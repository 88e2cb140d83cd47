// rowbot run's progress line (issue 17): a job of one AI column counts rows as before; one of
// several counts cells, with each column's.
import { describe, expect, it } from 'vitest';
import { columnCountsText, progressLine } from '../../electron/cli/progress.ts';
import type { ColumnSummary, JobCounts, JobSummary } from '../../shared/api.ts';

const counts = (done: number, failed: number, total: number): JobCounts => ({
  queued: total - done - failed,
  running: 0,
  done,
  failed,
  skipped: 0,
  total,
});

function column(id: number, name: string, c: JobCounts): ColumnSummary {
  return {
    id,
    name,
    model: 'mock-1',
    counts: c,
    stale: 0,
    edited: 0,
    cutOff: 0,
    usage: { promptTokens: 0, completionTokens: 0, cost: null },
  };
}

function job(total: JobCounts, columnStats: ColumnSummary[]): JobSummary {
  return { counts: total, live: null, batches: [], columnStats } as unknown as JobSummary;
}

describe('progressLine', () => {
  it('counts rows for a job of one column, as before', () => {
    const line = progressLine(job(counts(30, 2, 100), [column(0, 'output', counts(30, 2, 100))]), 0, 0, 2000);
    expect(line).toContain('32/100  ✓ 30  ✗ 2  16.0 rows/s');
    expect(line).not.toContain('output');
  });

  it('counts cells for a job of several columns, and shows each column', () => {
    const columns = [
      column(0, 'summary', counts(100, 0, 100)),
      column(1, 'label', counts(60, 3, 100)),
      column(2, 'reply', counts(10, 0, 100)),
    ];
    const line = progressLine(job(counts(170, 3, 300), columns), 0, 0, 1000);
    expect(line).toContain('173/300  ✓ 170  ✗ 3  173.0 cells/s');
    expect(line).toContain('summary 100/100 · label 63/100 (✗ 3) · reply 10/100');
  });

  it('shows no columns for an engine that does not list them', () => {
    expect(columnCountsText({ counts: counts(1, 0, 2), live: null, batches: [] } as unknown as JobSummary)).toBeNull();
  });
});
