import { useEffect, useState } from 'react';
import { Slider, Switch, Tooltip } from 'radix-ui';
import type { JobDetail, JobSummary, RunSettings } from '../../../shared/api.ts';
import { batchKindOf } from '../../../shared/providers.ts';
import { useApi } from '../api.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { finishedText } from './StatusBadge.tsx';
import { errorMessage, formatCount } from '../format.ts';

const SLIDER_MAX = 100;
export const RUN_SHORTCUT = 'Ctrl+Enter';

interface Props {
  job: JobDetail;
  /** The job as an action left it: shown at once, without waiting for the event that also says so. */
  onJob: (summary: JobSummary) => void;
  onError: (message: string) => void;
  /** Failed rows back to the queue: as the job runs (`same`), or a batch job's live or in a new batch. */
  onRetryFailed: (how: RetryHow) => void;
}

export type RetryHow = 'same' | 'live' | 'batch';

/** Controls that change a running job; each applies at once and shows the value in use. */
export function RunControls({ job, onJob, onError, onRetryFailed }: Props) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const { status, settings, live, counts } = job;
  const running = status === 'running';
  const finished = counts.queued === 0 && counts.running === 0;
  // A finished job with new cells (an AI column added) starts again for them.
  const canStart =
    status === 'ready' || status === 'paused' || status === 'canceled' || (status === 'completed' && !finished);
  const batchJob = settings.batch;
  // Rows not yet sent can go to the provider's Batch API instead, at about half the price.
  const offerBatch =
    !batchJob && batchKindOf(job.provider) !== null && counts.queued > 0 && (running || status === 'paused');

  async function act(action: () => Promise<JobSummary>): Promise<void> {
    setBusy(true);
    try {
      onJob(await action());
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  function update(patch: Partial<RunSettings>): void {
    void act(() => api.updateJobSettings({ jobId: job.id, settings: patch }));
  }

  const toggle = (): void => {
    if (running) void act(() => api.pauseJob({ jobId: job.id }));
    else if (canStart && !finished) void act(() => api.startJob({ jobId: job.id }));
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        toggle();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const startLabel = status === 'ready' ? 'Start' : 'Resume';
  return (
    <Tooltip.Provider delayDuration={300}>
      <div className="run-controls" role="group" aria-label="Run controls">
        <div className="control-buttons">
          {running ? (
            <Hint
              text={
                batchJob
                  ? 'Stop checking the batch; the provider goes on working on it'
                  : `Stop starting new rows; rows in flight finish (${RUN_SHORTCUT})`
              }
            >
              <button
                type="button"
                className="primary"
                disabled={busy}
                onClick={toggle}
                aria-keyshortcuts="Control+Enter"
              >
                Pause
              </button>
            </Hint>
          ) : finished ? (
            counts.failed > 0 ? (
              <span className="finished-failed" role="status">
                <strong className="warning-text">{finishedText(counts.failed)}</strong>
                {batchJob ? (
                  <>
                    <Hint text="Send the failed rows again now, one request each, at the live price">
                      <button type="button" className="primary" disabled={busy} onClick={() => onRetryFailed('live')}>
                        Retry failed now (live)
                      </button>
                    </Hint>
                    <Hint text="Send the failed rows again as a new batch: about half the price, within 24 hours">
                      <button type="button" disabled={busy} onClick={() => onRetryFailed('batch')}>
                        Retry failed in a new batch
                      </button>
                    </Hint>
                  </>
                ) : (
                  <button type="button" className="primary" disabled={busy} onClick={() => onRetryFailed('same')}>
                    Retry all failed ({formatCount(counts.failed)})
                  </button>
                )}
              </span>
            ) : (
              <span className="muted small finished-note" role="status">
                All rows have run.
              </span>
            )
          ) : (
            <Hint text={`${startLabel} the job (${RUN_SHORTCUT})`}>
              <button
                type="button"
                className="primary"
                disabled={busy || !canStart}
                onClick={toggle}
                aria-keyshortcuts="Control+Enter"
              >
                {startLabel}
              </button>
            </Hint>
          )}
          {!finished && (
            <Hint
              text={
                batchJob
                  ? 'Cancel the batch at the provider; answers already in are kept'
                  : 'Stop now: requests in flight are dropped and their rows go back to the queue'
              }
            >
              <button type="button" disabled={busy || !running} onClick={() => setConfirmingCancel(true)}>
                Cancel
              </button>
            </Hint>
          )}
          {offerBatch && (
            <Hint text="The rows not sent yet go to the provider's Batch API: about half the price, results within 24 hours">
              <button
                type="button"
                disabled={busy}
                onClick={() => void act(() => api.sendRestAsBatch({ jobId: job.id }))}
              >
                Send the rest as a batch
              </button>
            </Hint>
          )}
        </div>
        {confirmingCancel && (
          <ConfirmDialog
            title={batchJob ? 'Cancel the batch?' : 'Cancel the run?'}
            confirmLabel={batchJob ? 'Cancel the batch' : 'Cancel the run'}
            keepLabel="Keep running"
            onConfirm={() => void act(() => api.cancelJob({ jobId: job.id }))}
            onClose={() => setConfirmingCancel(false)}
          >
            {batchJob ? (
              <p>
                Rowbot cancels the batch at the provider too. Answers the provider has already finished are collected
                and kept; the other rows are not answered.
              </p>
            ) : (
              <p>
                Requests being answered now are dropped and their rows go back to the queue. Answers already in are
                kept, and Resume continues later.
              </p>
            )}
          </ConfirmDialog>
        )}

        {batchJob ? (
          running && <span className="muted small">The provider answers at its own pace: no speed to set.</span>
        ) : (
          <>
            <ConcurrencySlider
              value={settings.autoConcurrency ? (live?.concurrency ?? settings.concurrency) : settings.concurrency}
              disabled={settings.autoConcurrency}
              onCommit={(value) => update({ concurrency: value })}
            />
            <label className="switch-field">
              <Switch.Root
                className="switch"
                checked={settings.autoConcurrency}
                onCheckedChange={(checked) => update({ autoConcurrency: checked })}
                aria-label="Automatic concurrency"
              >
                <Switch.Thumb className="switch-thumb" />
              </Switch.Root>
              <span>
                Auto
                {settings.autoConcurrency && live && (
                  <span className="muted small"> · settled at {live.concurrency}</span>
                )}
              </span>
            </label>
            <LimitField
              key={`rpm:${settings.requestsPerMinute}`}
              label="Requests/min"
              value={settings.requestsPerMinute}
              onCommit={(value) => update({ requestsPerMinute: value })}
            />
            <LimitField
              key={`tpm:${settings.tokensPerMinute}`}
              label="Tokens/min"
              value={settings.tokensPerMinute}
              onCommit={(value) => update({ tokensPerMinute: value })}
            />
          </>
        )}
        <LimitField
          key={`cap:${settings.maxCost}`}
          label="Budget $"
          value={settings.maxCost}
          parse={dollars}
          placeholder="no cap"
          hint="The job pauses before it could spend more than this"
          onCommit={(value) => update({ maxCost: value })}
        />
      </div>
    </Tooltip.Provider>
  );
}

function Hint({ text, children }: { text: string; children: React.ReactElement }) {
  return (
    <Tooltip.Root>
      <Tooltip.Trigger asChild>{children}</Tooltip.Trigger>
      <Tooltip.Portal>
        <Tooltip.Content className="tooltip" sideOffset={6}>
          {text}
        </Tooltip.Content>
      </Tooltip.Portal>
    </Tooltip.Root>
  );
}

function ConcurrencySlider({
  value,
  disabled,
  onCommit,
}: {
  value: number;
  disabled: boolean;
  onCommit: (value: number) => void;
}) {
  const [draft, setDraft] = useState<number | null>(null);
  const shown = draft ?? value;
  return (
    <div className="slider-field">
      <span id="concurrency-label">Concurrency</span>
      <Slider.Root
        className="slider"
        min={1}
        max={Math.max(SLIDER_MAX, value)}
        step={1}
        value={[shown]}
        disabled={disabled}
        onValueChange={([next]) => setDraft(next ?? value)}
        onValueCommit={([next]) => {
          setDraft(null);
          if (next !== undefined && next !== value) onCommit(next);
        }}
        aria-labelledby="concurrency-label"
      >
        <Slider.Track className="slider-track">
          <Slider.Range className="slider-range" />
        </Slider.Track>
        <Slider.Thumb className="slider-thumb" aria-label="Concurrency" />
      </Slider.Root>
      <output className="tabular slider-value" aria-live="polite" aria-label="Concurrency in use">
        {shown}
      </output>
    </div>
  );
}

/** Whole numbers like 500, 1,000 or 20k; null when empty; undefined when unreadable. */
function perMinute(text: string): number | null | undefined {
  const trimmed = text.replace(/[,\s_]/g, '');
  if (trimmed === '') return null;
  const n = Number(trimmed.replace(/k$/i, '000'));
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** Dollars like 5, $0.50 or 1,000; null when empty; undefined when unreadable. */
function dollars(text: string): number | null | undefined {
  const trimmed = text.replace(/[$,\s]/g, '');
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

interface LimitFieldProps {
  label: string;
  value: number | null;
  onCommit: (value: number | null) => void;
  parse?: (text: string) => number | null | undefined;
  placeholder?: string;
  hint?: string;
}

/** A limit typed as text, applied on Enter or when leaving the field; empty means none. */
function LimitField({ label, value, onCommit, parse = perMinute, placeholder = 'no limit', hint }: LimitFieldProps) {
  const [text, setText] = useState(value === null ? '' : String(value));
  const [invalid, setInvalid] = useState(false);

  function commit(): void {
    const next = parse(text);
    setInvalid(next === undefined);
    if (next !== undefined && next !== value) onCommit(next);
  }

  return (
    <label className="limit-field">
      <span>{label}</span>
      <input
        type="text"
        inputMode={parse === dollars ? 'decimal' : 'numeric'}
        value={text}
        placeholder={placeholder}
        aria-invalid={invalid || undefined}
        onChange={(event) => setText(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === 'Enter') commit();
        }}
        title={hint ?? (value === null ? 'No limit of our own' : `${formatCount(value)} per minute`)}
      />
    </label>
  );
}
