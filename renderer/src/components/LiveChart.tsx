import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LiveSample } from '../hooks/useLiveSamples.ts';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

const FONT = '11px system-ui';
const HEIGHT = 84;

/**
 * Room for an axis' longest label ("10,000", "2.5"): a fixed width cut the first digits off
 * ("0,000" for 10,000).
 */
function axisSize(self: uPlot, values: string[] | null, axisIndex: number): number {
  const context = self.ctx;
  context.save();
  context.font = FONT;
  const widest = Math.max(0, ...(values ?? []).map((text) => context.measureText(text).width));
  context.restore();
  // The tick and the gap to the plot, and a little air; never narrower than before.
  return Math.max(axisIndex === 1 ? 36 : 28, Math.ceil(widest) + 16);
}

/** A small canvas chart of throughput, requests at once, failed attempts and 429s over the last minutes. */
export function LiveChart({ samples }: { samples: LiveSample[] }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: element.clientWidth || 600,
        height: HEIGHT,
        legend: { show: true, live: false },
        cursor: { show: false },
        // At least a minute wide, so a young run does not show sub-second ticks.
        scales: {
          x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] },
          rate: { auto: true },
          count: { auto: true },
        },
        axes: [
          { stroke: cssVar('--muted'), grid: { show: false }, size: 24, font: FONT },
          {
            scale: 'rate',
            stroke: cssVar('--muted'),
            grid: { stroke: cssVar('--border'), width: 1 },
            size: axisSize,
            // A short chart: ticks closer than uPlot's default, so the scale has a number on it.
            space: 18,
            font: FONT,
          },
          {
            scale: 'count',
            side: 1,
            stroke: cssVar('--muted'),
            grid: { show: false },
            size: axisSize,
            // A short chart: ticks closer than uPlot's default, so the scale has a number on it.
            space: 18,
            font: FONT,
          },
        ],
        series: [
          {},
          { label: 'Rows/min', scale: 'rate', stroke: cssVar('--done'), width: 2 },
          { label: 'Requests at once', scale: 'count', stroke: cssVar('--running'), width: 1.5, dash: [4, 3] },
          {
            label: 'Failed attempts/s',
            scale: 'count',
            stroke: cssVar('--failed'),
            width: 0,
            points: { show: true, size: 5, fill: cssVar('--failed') },
          },
          {
            label: '429s/s',
            scale: 'count',
            stroke: cssVar('--paused'),
            width: 0,
            points: { show: true, size: 5, fill: cssVar('--paused') },
          },
        ],
      },
      [[], [], [], [], []],
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([
      samples.map((s) => s.at),
      samples.map((s) => s.rowsPerMinute),
      samples.map((s) => s.concurrency),
      samples.map((s) => (s.errors > 0 ? s.errors : null)),
      samples.map((s) => (s.rateLimited > 0 ? s.rateLimited : null)),
    ]);
  }, [samples]);

  return (
    <figure
      className="live-chart"
      // What the chart holds, for tests and for anyone inspecting it: the canvas itself has no text.
      data-seconds={samples.length}
      data-failed-attempts={samples.reduce((sum, s) => sum + s.errors, 0)}
      data-rate-limited={samples.reduce((sum, s) => sum + s.rateLimited, 0)}
      data-most-rows-per-minute={samples.reduce((most, s) => Math.max(most, s.rowsPerMinute), 0)}
      aria-label="Rows per minute, requests at once, failed attempts and 429s per second over the last ten minutes"
    >
      <div ref={host} />
      {samples.length < 2 && <figcaption className="muted small">The chart fills in while the job runs.</figcaption>}
    </figure>
  );
}
