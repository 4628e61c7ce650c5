/**
 * Renders the latency distribution of each direction as an SVG chart (cumulative share of
 * requests answered within x ms, log-scaled x axis). No dependencies: plain SVG text.
 */
export interface LatencySeries {
  label: string;
  color: string;
  latenciesMs: number[];
}

const W = 760;
const H = 380;
const M = { left: 56, right: 20, top: 36, bottom: 48 };

export function latencyChartSvg(title: string, series: LatencySeries[]): string {
  const all = series.flatMap((s) => s.latenciesMs).filter((v) => v > 0);
  const minX = Math.max(0.05, Math.min(...all));
  const maxX = Math.max(...all) * 1.1;
  const lx = (v: number) =>
    M.left + ((Math.log10(Math.max(v, minX)) - Math.log10(minX)) / (Math.log10(maxX) - Math.log10(minX))) * (W - M.left - M.right);
  const ly = (share: number) => H - M.bottom - share * (H - M.top - M.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${M.left}" y="22" font-size="14" font-weight="600">${escapeXml(title)}</text>`);
  for (let d = Math.floor(Math.log10(minX)); d <= Math.ceil(Math.log10(maxX)); d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (v < minX || v > maxX) continue;
      const x = lx(v).toFixed(1);
      parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
      parts.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle" fill="#555">${v >= 1 ? v : v.toFixed(Math.abs(d))}</text>`);
    }
  }
  for (const share of [0, 0.5, 0.9, 0.99, 1]) {
    const y = ly(share).toFixed(1);
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="${share === 0.5 || share === 0.99 ? '#ccc' : '#eee'}"/>`,
    );
    parts.push(
      `<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#555">p${Math.round(share * 100)}</text>`,
    );
  }
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle" fill="#333">latency per request, ms (log scale)</text>`,
  );
  series.forEach((s, i) => {
    const sorted = [...s.latenciesMs].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 400));
    const points: string[] = [];
    for (let k = 0; k < sorted.length; k += step)
      points.push(`${lx(sorted[k] as number).toFixed(1)},${ly((k + 1) / sorted.length).toFixed(1)}`);
    points.push(`${lx(sorted[sorted.length - 1] as number).toFixed(1)},${ly(1).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>`);
    parts.push(`<rect x="${W - M.right - 230}" y="${M.top + 8 + i * 18}" width="12" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${W - M.right - 212}" y="${M.top + 12 + i * 18}" fill="#333">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
