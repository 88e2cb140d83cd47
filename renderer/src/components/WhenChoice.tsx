import type { JobEstimate } from '../../../shared/api.ts';
import { formatCost } from '../format.ts';

function range(cost: [number, number] | null): string | null {
  return cost ? `${formatCost(cost[0])}–${formatCost(cost[1])}` : null;
}

/**
 * When the rows are answered: now, one request each, or through the provider's Batch API at about
 * half the price within 24 hours. Shown only for a provider that offers batches; each choice says
 * its price when the estimate knows it.
 */
export function WhenChoice({
  batch,
  onChange,
  estimate,
  of,
}: {
  batch: boolean;
  onChange: (batch: boolean) => void;
  estimate: Pick<JobEstimate, 'cost' | 'batchCost'> | null;
  /** What the prices are for, when not the whole job ("the 20 rows without an answer"). */
  of?: string;
}) {
  const forWhat = of ? ` for ${of}` : '';
  const live = range(estimate?.cost ?? null);
  const cheaper = range(estimate?.batchCost ?? null);
  return (
    <fieldset className="when-choice">
      <legend>When</legend>
      <label className={`option${!batch ? ' selected' : ''}`}>
        <input type="radio" name="when" checked={!batch} onChange={() => onChange(false)} />
        <span>
          <strong>Now (live)</strong>
          <span className="muted small">Answers start at once and come in as you watch.</span>
          {live && (
            <span className="when-price">
              About {live}
              {forWhat && <span className="when-price-of">{forWhat}</span>}
            </span>
          )}
        </span>
      </label>
      <label className={`option${batch ? ' selected' : ''}`}>
        <input type="radio" name="when" checked={batch} onChange={() => onChange(true)} />
        <span>
          <strong>Cheaper (batch)</strong>
          <span className="muted small">
            About half the price, results within 24 hours (often much sooner). You can close Rowbot meanwhile.
          </span>
          {cheaper && (
            <span className="when-price">
              About {cheaper}
              {forWhat && <span className="when-price-of">{forWhat}</span>}
            </span>
          )}
        </span>
      </label>
    </fieldset>
  );
}
