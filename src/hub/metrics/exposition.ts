/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: `# HELP` and `# TYPE`
 * once per family, one line per series, label values escaped (backslash, double quote, line
 * feed), histograms as cumulative `_bucket{le=…}` lines with `+Inf`, `_sum` and `_count`.
 * Pure: the hub hands it the families (hub-metrics.ts, scrape.ts) and serves the string.
 */
import type { Histogram } from "./histogram.ts";

export type Labels = readonly (readonly [string, string])[];

export interface Sample {
  labels: Labels;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples?: Sample[];
  histograms?: { labels: Labels; histogram: Histogram }[];
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: Labels, extra?: readonly [string, string]): string {
  const all = extra ? [...labels, extra] : labels;
  if (all.length === 0) return "";
  return `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

export function renderFamilies(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples ?? []) out.push(`${f.name}${labelText(s.labels)} ${formatNumber(s.value)}`);
    for (const { labels, histogram: h } of f.histograms ?? []) {
      let cumulative = 0;
      for (let i = 0; i < h.bounds.length; i++) {
        cumulative += h.counts[i]!;
        out.push(`${f.name}_bucket${labelText(labels, ["le", formatNumber(h.bounds[i]!)])} ${cumulative}`);
      }
      out.push(`${f.name}_bucket${labelText(labels, ["le", "+Inf"])} ${h.count}`);
      out.push(`${f.name}_sum${labelText(labels)} ${formatNumber(h.sum)}`);
      out.push(`${f.name}_count${labelText(labels)} ${h.count}`);
    }
  }
  return out.join("\n") + "\n";
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
