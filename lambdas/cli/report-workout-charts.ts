// A workout's pictures: its GPS track (projected, thinned) and its heart-rate zone bar, pure: data in, SVG out.

import { COLORS, emptyChart, escapeHtml, type Frame, niceTicks, num, svgOpen, ZONE_COLORS } from './report-svg.ts';

export interface TrackPoint {
  lat: number;
  lon: number;
}

export interface ProjectedTrack {
  points: { x: number; y: number }[];
  /** Metres on the ground per SVG unit (0 when the track has no extent). */
  metresPerUnit: number;
}

const METRES_PER_DEGREE = 111_320;

/**
 * Equirectangular projection around the track's mean latitude, north up, scaled to fit the box with `pad`
 * units of margin and centred; the same scale on both axes, so shapes keep their proportions.
 */
export function projectTrack(points: readonly TrackPoint[], width: number, height: number, pad = 10): ProjectedTrack {
  if (points.length === 0) return { points: [], metresPerUnit: 0 };
  const lat0 = points.reduce((s, p) => s + p.lat, 0) / points.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = points.map((p) => p.lon * k);
  const ys = points.map((p) => p.lat);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const spanX = maxX - minX;
  const spanY = maxY - minY;
  const span = Math.max(spanX / (width - 2 * pad), spanY / (height - 2 * pad));
  if (span === 0) return { points: points.map(() => ({ x: width / 2, y: height / 2 })), metresPerUnit: 0 };
  const scale = 1 / span;
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return {
    points: xs.map((xv, i) => ({ x: offX + (xv - minX) * scale, y: offY + (maxY - (ys[i] as number)) * scale })),
    metresPerUnit: METRES_PER_DEGREE / scale,
  };
}

/** Every k-th point (and the last) so that at most `max` remain. */
export function thinPoints<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / (max - 1));
  const out = points.filter((_, i) => i % step === 0);
  const last = points[points.length - 1];
  if (last !== undefined && out[out.length - 1] !== last) out.push(last);
  return out;
}

export interface TrackPlotOptions {
  label: string;
  width?: number;
  height?: number;
  /** At most this many points are drawn (default 500). */
  maxPoints?: number;
}

/** The GPS track as a polyline (no map tiles), with start and end marks and a scale bar. */
export function trackPlot(points: readonly TrackPoint[], opts: TrackPlotOptions): string {
  const width = opts.width ?? 300;
  const height = opts.height ?? 220;
  const usable = thinPoints(
    points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon)),
    opts.maxPoints ?? 500,
  );
  if (usable.length < 2) return emptyChart(opts.label, 'No GPS track', width, height);
  const f: Frame = { width, height, left: 0, right: 0, top: 0, bottom: 0 };
  const { points: xy, metresPerUnit } = projectTrack(usable, width, height - 18, 12);
  const first = xy[0] as { x: number; y: number };
  const last = xy[xy.length - 1] as { x: number; y: number };
  let bar = '';
  if (metresPerUnit > 0) {
    const target = (width / 4) * metresPerUnit;
    const metres = niceTicks(0, target, 1)[1] ?? target;
    const len = metres / metresPerUnit;
    const text = metres >= 1000 ? `${num(metres / 1000)} km` : `${num(metres)} m`;
    bar =
      `<path d="M10 ${height - 10}v4h${num(len)}v-4" fill="none" stroke="${COLORS.muted}"/>` +
      `<text x="${num(14 + len)}" y="${height - 7}" fill="${COLORS.muted}">${text}</text>`;
  }
  return (
    `${svgOpen(f, opts.label, 'track')}<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#f8fafc" stroke="${COLORS.grid}"/>` +
    `<polyline class="track-line" points="${xy.map((p) => `${num(p.x)},${num(p.y)}`).join(' ')}" fill="none" stroke="${COLORS.track}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>` +
    `<circle cx="${num(first.x)}" cy="${num(first.y)}" r="4" fill="${COLORS.trackStart}"><title>start</title></circle>` +
    `<circle cx="${num(last.x)}" cy="${num(last.y)}" r="4" fill="${COLORS.trackEnd}"><title>end</title></circle>` +
    `${bar}</svg>`
  );
}

/** A small stacked bar of the seconds in each heart-rate zone (below zone 1 first). */
export function zoneBar(seconds: readonly number[], width = 120, height = 10): string {
  const total = seconds.reduce((s, v) => s + Math.max(0, v), 0);
  if (total <= 0) return '';
  let x = 0;
  const rects = seconds.map((s, i) => {
    const w = (Math.max(0, s) / total) * width;
    const r =
      w > 0
        ? `<rect x="${num(x)}" y="0" width="${num(w)}" height="${height}" fill="${ZONE_COLORS[i] ?? COLORS.axis}"/>`
        : '';
    x += w;
    return r;
  });
  const tip = seconds.map((s, i) => `${i === 0 ? 'below Z1' : `Z${i}`} ${Math.round(s / 60)} min`).join(', ');
  return `<svg class="zones" role="img" aria-label="${escapeHtml(tip)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeHtml(tip)}</title>${rects.join('')}</svg>`;
}
