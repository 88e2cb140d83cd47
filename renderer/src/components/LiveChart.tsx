import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LiveSample } from '../hooks/useLiveSamples.ts';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** A small canvas chart of throughput, concurrency, errors and 429s over the last minutes. */
export function LiveChart({ samples }: { samples: LiveSample[] }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: element.clientWidth || 600,
        height: 90,
        legend: { show: true, live: false },
        cursor: { show: false },
        // At least a minute wide, so a young run does not show sub-second ticks.
        scales: {
          x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] },
          rate: { auto: true },
          count: { auto: true },
        },
        axes: [
          { stroke: cssVar('--muted'), grid: { show: false }, size: 24, font: '11px system-ui' },
          {
            scale: 'rate',
            stroke: cssVar('--muted'),
            grid: { stroke: cssVar('--border'), width: 1 },
            size: 44,
            font: '11px system-ui',
          },
          {
            scale: 'count',
            side: 1,
            stroke: cssVar('--muted'),
            grid: { show: false },
            size: 36,
            font: '11px system-ui',
          },
        ],
        series: [
          {},
          { label: 'Rows/min', scale: 'rate', stroke: cssVar('--done'), width: 2 },
          { label: 'Concurrency', scale: 'count', stroke: cssVar('--running'), width: 1.5, dash: [4, 3] },
          {
            label: 'Errors',
            scale: 'count',
            stroke: cssVar('--failed'),
            width: 0,
            points: { show: true, size: 5, fill: cssVar('--failed') },
          },
          {
            label: '429s',
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
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 90 }));
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
    <figure className="live-chart" aria-label="Throughput, concurrency, errors and 429s over the last minutes">
      <div ref={host} />
      {samples.length < 2 && <figcaption className="muted small">The chart fills in while the job runs.</figcaption>}
    </figure>
  );
}
