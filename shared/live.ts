import type { LiveStats } from './api.ts';

/**
 * "waiting for the rate limit, 12 s" while the job holds every start because the provider asked it
 * to slow down (a 429, or its rate-limit headers say the allowance is spent); null otherwise. The
 * same words in the CLI and the UI.
 */
export function rateLimitWaitText(live: Pick<LiveStats, 'waitingUntil'> | null, now = Date.now()): string | null {
  if (!live?.waitingUntil) return null;
  const seconds = Math.ceil((Date.parse(live.waitingUntil) - now) / 1000);
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return `waiting for the rate limit, ${seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`}`;
}
