import { startTransition, useEffect, useRef, useState } from 'react';
import type { JobSummary, TimelineSecond } from '../../../shared/api.ts';
import { useApi } from '../api.ts';

export interface LiveSample {
  /** Seconds since the epoch. */
  at: number;
  rowsPerMinute: number;
  concurrency: number;
  /** Failed requests since the previous sample: retried ones (a 500, a reset) and rows that failed. */
  errors: number;
  /** 429 answers since the previous sample. */
  rateLimited: number;
}

const KEEP_SECONDS = 600;
/** Rows per minute of the history, from the answers of this many seconds before each one. */
const RATE_WINDOW = 10;

/** The attempt log's seconds as chart samples: answers per minute over a short window, errors per second. */
export function samplesOfTimeline(seconds: readonly TimelineSecond[]): LiveSample[] {
  const sorted = [...seconds].sort((a, b) => a.at - b.at);
  const samples: LiveSample[] = [];
  let windowStart = 0;
  let answered = 0;
  for (const second of sorted) {
    answered += second.answered;
    while (windowStart < sorted.length && sorted[windowStart]!.at <= second.at - RATE_WINDOW) {
      answered -= sorted[windowStart]!.answered;
      windowStart += 1;
    }
    const span = Math.min(RATE_WINDOW, Math.max(1, second.at - sorted[0]!.at + 1));
    samples.push({
      at: second.at,
      rowsPerMinute: Math.round((answered / span) * 60),
      concurrency: second.inFlight,
      errors: second.failed,
      rateLimited: second.rateLimited,
    });
  }
  return samples;
}

/** How much a counter grew; a counter that went down started again (a new run, rows retried). */
function growth(now: number, before: number): number {
  return now >= before ? now - before : now;
}

/**
 * The last ten minutes of a job's figures: rebuilt from its attempt log when the view opens (so a
 * reload keeps the chart), then one live sample a second at most while it runs.
 */
export function useLiveSamples(jobId: string): LiveSample[] {
  const api = useApi();
  const [samples, setSamples] = useState<LiveSample[]>([]);
  const last = useRef<{ at: number; failed: number; retries: number; rateLimited: number } | null>(null);

  useEffect(() => {
    let stale = false;
    api.getTimeline({ jobId }).then(
      (seconds) => {
        if (stale || seconds.length === 0) return;
        const history = samplesOfTimeline(seconds);
        startTransition(() =>
          setSamples((live) => {
            const firstLive = live[0]?.at ?? Infinity;
            return [...history.filter((s) => s.at < firstLive - 0.5), ...live];
          }),
        );
      },
      // The chart is a nicety: without its history it fills in from the live figures.
      () => undefined,
    );
    // The job screen is keyed by job id, so this starts empty for every job.
    const unsubscribe = api.on('job', (job: JobSummary) => {
      if (job.id !== jobId || !job.live) return;
      const at = Date.now() / 1000;
      const previous = last.current;
      if (previous && at - previous.at < 0.9) return;
      const sample: LiveSample = {
        at,
        rowsPerMinute: job.live.rowsPerMinute,
        concurrency: job.live.inFlight,
        errors: previous
          ? growth(job.live.retries, previous.retries) + Math.max(0, job.counts.failed - previous.failed)
          : 0,
        rateLimited: previous ? growth(job.live.rateLimited, previous.rateLimited) : 0,
      };
      last.current = {
        at,
        failed: job.counts.failed,
        retries: job.live.retries,
        rateLimited: job.live.rateLimited,
      };
      // The chart is never urgent: it redraws when nothing the user does is waiting.
      startTransition(() => setSamples((current) => [...current.filter((s) => s.at > at - KEEP_SECONDS), sample]));
    });
    return () => {
      stale = true;
      unsubscribe();
    };
  }, [api, jobId]);

  return samples;
}
