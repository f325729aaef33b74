// Draws a Jacobian on two canvases: a heatmap (blue negative, red positive,
// scaled by the largest magnitude; exact zeros grey) and its sparsity pattern
// (black nonzero, white zero). A batch of Jacobians [B, m, n] is drawn as B
// tiles side by side.
export type Matrix = number[][];

const GAP = 1; // cells between tiles

export interface Drawn {
  nonzero: number;
  cells: number;
  maxAbs: number;
}

export function drawJacobian(heat: HTMLCanvasElement, pattern: HTMLCanvasElement, tiles: Matrix[], maxWidth = 480): Drawn {
  const rows = Math.max(...tiles.map((t) => t.length));
  const cols = tiles.reduce((s, t) => s + (t[0]?.length ?? 0), 0) + GAP * (tiles.length - 1);
  const cell = Math.max(4, Math.min(28, Math.floor(maxWidth / cols)));
  let maxAbs = 0, nonzero = 0, cells = 0;
  for (const t of tiles) for (const r of t) for (const v of r) {
    maxAbs = Math.max(maxAbs, Math.abs(v));
    if (v !== 0) nonzero++;
    cells++;
  }
  for (const canvas of [heat, pattern]) {
    canvas.width = cols * cell;
    canvas.height = rows * cell;
  }
  const h = heat.getContext("2d")!;
  const p = pattern.getContext("2d")!;
  p.fillStyle = "#fff";
  p.fillRect(0, 0, pattern.width, pattern.height);
  let x0 = 0;
  for (const t of tiles) {
    t.forEach((r, i) =>
      r.forEach((v, j) => {
        const x = (x0 + j) * cell, y = i * cell;
        h.fillStyle = v === 0 ? "#e4e4e4" : colour(v / (maxAbs || 1));
        h.fillRect(x, y, cell - 1, cell - 1);
        p.fillStyle = v === 0 ? "#fff" : "#111";
        p.fillRect(x, y, cell - 1, cell - 1);
      }),
    );
    x0 += (t[0]?.length ?? 0) + GAP;
  }
  return { nonzero, cells, maxAbs };
}

/** A diverging colour for s in [-1, 1]: blue, white, red. */
function colour(s: number): string {
  const a = Math.min(1, Math.abs(s));
  const fade = Math.round(255 * (1 - a));
  return s < 0 ? `rgb(${fade},${fade},255)` : `rgb(255,${fade},${fade})`;
}

/** A canvas with a caption under it. */
export function figure(canvas: HTMLCanvasElement, caption: string): HTMLElement {
  const f = document.createElement("figure");
  const c = document.createElement("figcaption");
  c.textContent = caption;
  f.append(canvas, c);
  return f;
}
