import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Throughput } from '../../electron/engine/scheduler/throughput.ts';

describe('Throughput', () => {
  it('scales the first seconds to a minute, then counts the last minute only', () => {
    let clock = 0;
    const throughput = new Throughput(() => clock);
    for (let i = 0; i < 10; i += 1) throughput.record(100);
    clock = 500;
    // Under a second counts as one: ten rows in it are 600 a minute.
    expect(throughput.perMinute()).toEqual({ rows: 600, tokens: 60_000 });
    clock = 30_000;
    expect(throughput.perMinute()).toEqual({ rows: 20, tokens: 2000 });
    clock = 61_000;
    throughput.record(7);
    // The first ten fell out of the minute.
    expect(throughput.perMinute()).toEqual({ rows: 1, tokens: 7 });
  });

  it('agrees with a count of every answer of the last sixty whole seconds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 5000 }), tokens: fc.integer({ min: 0, max: 500 }) }), {
          maxLength: 300,
        }),
        fc.integer({ min: 0, max: 120_000 }),
        (events, lookLater) => {
          let clock = 0;
          const throughput = new Throughput(() => clock);
          const seen: { second: number; tokens: number }[] = [];
          for (const { gap, tokens } of events) {
            clock += gap;
            throughput.record(tokens);
            seen.push({ second: Math.floor(clock / 1000), tokens });
          }
          clock += lookLater;
          const current = Math.floor(clock / 1000);
          const recent = seen.filter((e) => e.second > current - 60);
          const scale = 60_000 / Math.min(60_000, Math.max(1000, clock));
          expect(throughput.perMinute()).toEqual({
            rows: Math.round(recent.length * scale),
            tokens: Math.round(recent.reduce((sum, e) => sum + e.tokens, 0) * scale),
          });
        },
      ),
    );
  });
});
