import { MAX_CONCURRENCY } from '../../../shared/api.ts';

/** "Rows at once": a whole number from 1 to the engine's concurrency limit. */
export function RowsAtOnceField({ value, onChange }: { value: number; onChange: (value: number) => void }) {
  return (
    <label className="field narrow">
      <span>Rows at once</span>
      <input
        type="number"
        min={1}
        max={MAX_CONCURRENCY}
        value={value}
        onChange={(event) => onChange(Math.min(MAX_CONCURRENCY, Math.max(1, Number(event.target.value) || 1)))}
      />
    </label>
  );
}
