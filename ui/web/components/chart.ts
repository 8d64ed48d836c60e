/** A live line chart (uPlot): x is time in seconds, one line per series; sized to its box. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { html, useEffect, useRef } from '../html.js';

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed'];

export function TimeChart({ title, series, data, height = 150 }: {
  title: string;
  series: string[];
  /** [times (s), ...one array per series] */
  data: number[][];
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{ stroke: '#64748b', grid: { stroke: '#eef2f7' } }, { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 50 }],
      series: [{}, ...series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: false } }))],
    };
    const p = new uPlot(opts, data as uPlot.AlignedData, el);
    plot.current = p;
    const ro = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      p.destroy();
      plot.current = null;
    };
  }, [series.join('|')]);
  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  return html`<figure class="chart"><figcaption>${title}</figcaption><div ref=${box} class="chart-box"></div></figure>`;
}

/** Horizontal bars for counts by name (findings by rule): plain DOM, uPlot is for time series. */
export function Bars({ title, rows }: { title: string; rows: { label: string; value: number; tone?: string }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return html`<figure class="chart bars"><figcaption>${title}</figcaption>
    <ul>${rows.map((r) => html`<li key=${r.label}>
      <span class="bar-label mono">${r.label}</span>
      <span class="bar-track"><span class=${`bar tone-${r.tone ?? 'neutral'}`} style=${`width:${(100 * r.value) / max}%`}></span></span>
      <span class="bar-value">${r.value.toLocaleString()}</span>
    </li>`)}</ul>
  </figure>`;
}
