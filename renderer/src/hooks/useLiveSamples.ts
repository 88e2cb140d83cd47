import { startTransition, useEffect, useRef, useState } from 'react';
import type { JobSummary } from '../../../shared/api.ts';
import { useApi } from '../api.ts';

export interface LiveSample {
  /** Seconds since the epoch. */
  at: number;
  rowsPerMinute: number;
  concurrency: number;
  /** Failed rows and 429s since the previous sample. */
  errors: number;
  rateLimited: number;
}

const KEEP_SECONDS = 600;

/** The last ten minutes of a running job's figures, one sample a second at most. */
export function useLiveSamples(jobId: string): LiveSample[] {
  const api = useApi();
  const [samples, setSamples] = useState<LiveSample[]>([]);
  const last = useRef<{ at: number; failed: number; rateLimited: number } | null>(null);

  useEffect(() => {
    // The job screen is keyed by job id, so this starts empty for every job.
    return api.on('job', (job: JobSummary) => {
      if (job.id !== jobId || !job.live) return;
      const at = Date.now() / 1000;
      const previous = last.current;
      if (previous && at - previous.at < 0.9) return;
      const sample: LiveSample = {
        at,
        rowsPerMinute: job.live.rowsPerMinute,
        concurrency: job.live.concurrency,
        errors: previous ? Math.max(0, job.counts.failed - previous.failed) : 0,
        rateLimited: previous ? Math.max(0, job.live.rateLimited - previous.rateLimited) : 0,
      };
      last.current = { at, failed: job.counts.failed, rateLimited: job.live.rateLimited };
      // The chart is never urgent: it redraws when nothing the user does is waiting.
      startTransition(() => setSamples((current) => [...current.filter((s) => s.at > at - KEEP_SECONDS), sample]));
    });
  }, [api, jobId]);

  return samples;
}
