// A Jacobian drawn three ways: a heatmap (blue negative, red positive, scaled
// by the largest magnitude; exact zeros grey), its sparsity pattern (black
// nonzero, white zero), and a colour scale with its values. Both maps carry
// axes (rows: output index i, columns: input index j); hovering a cell reads
// its value out. A batch of Jacobians [B, m, n] is drawn as B tiles side by side.
export type Matrix = number[][];

const GAP = 1; // cells between tiles
const LEFT = 34; // px for the row axis (its title and indices)
const TOP = 30; // px for the column axis (tile labels, its title and indices)
const FONT = "11px ui-monospace, monospace";
const ZERO = "#e4e4e4";

export interface Drawn {
  nonzero: number;
  cells: number;
  maxAbs: number;
}

/** A cell under the pointer: which tile, row and column, and its value. */
export interface Cell {
  tile: number;
  i: number;
  j: number;
  v: number;
}

/** The short form of a value for the scale and the read-out. */
export const fmt = (v: number): string => (v === 0 ? "0" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3));

export class JacobianView {
  readonly heat = document.createElement("canvas");
  readonly pattern = document.createElement("canvas");
  readonly scale = document.createElement("canvas");
  readonly readout = document.createElement("p");
  private tiles: Matrix[] = [];
  private cell = 8;
  private hint: string;

  constructor(private readonly maxWidth = 480) {
    this.readout.className = "readout";
    this.hint = "hover a cell to read its value";
    this.readout.textContent = this.hint;
    for (const c of [this.heat, this.pattern]) {
      c.addEventListener("mousemove", (e) => this.show(this.cellAt(e.offsetX, e.offsetY)));
      c.addEventListener("mouseleave", () => this.show(null));
    }
  }

  /** Figures for the heatmap (with its scale under it) and the sparsity pattern. */
  figures(): HTMLElement[] {
    const batch = this.tiles.length > 1 ? "; one tile per sample, columns: input j" : "";
    const values = figure(this.heat, `values: blue < 0 < red, grey = exactly 0${batch}`);
    values.insertBefore(this.scale, values.querySelector("figcaption"));
    return [values, figure(this.pattern, "sparsity: black = nonzero")];
  }

  /** Draws (again, when the arm moves) `tiles`: one Jacobian, or one per sample of a batch. */
  draw(tiles: Matrix[]): Drawn {
    this.tiles = tiles;
    const rows = Math.max(...tiles.map((t) => t.length));
    const cols = tiles.reduce((s, t) => s + (t[0]?.length ?? 0), 0) + GAP * (tiles.length - 1);
    const cell = (this.cell = Math.max(6, Math.min(36, Math.floor((this.maxWidth - LEFT) / cols))));
    let maxAbs = 0, nonzero = 0, cells = 0;
    for (const t of tiles) for (const r of t) for (const v of r) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
      if (v !== 0) nonzero++;
      cells++;
    }
    for (const canvas of [this.heat, this.pattern]) {
      canvas.width = LEFT + cols * cell;
      canvas.height = TOP + rows * cell;
      const g = canvas.getContext("2d")!;
      g.fillStyle = "#fff";
      g.fillRect(0, 0, canvas.width, canvas.height);
      drawAxes(g, tiles, cell, rows);
    }
    const h = this.heat.getContext("2d")!;
    const p = this.pattern.getContext("2d")!;
    this.forEachCell((tile, i, j, x, y) => {
      const v = tiles[tile][i][j];
      h.fillStyle = v === 0 ? ZERO : colour(v / (maxAbs || 1));
      h.fillRect(x, y, cell - 1, cell - 1);
      p.fillStyle = v === 0 ? "#fff" : "#111";
      p.fillRect(x, y, cell - 1, cell - 1);
    });
    drawScale(this.scale, maxAbs, Math.max(160, Math.min(this.heat.width, 320)));
    // where the cells are, for the browser test's pointer
    Object.assign(this.heat.dataset, { left: String(LEFT), top: String(TOP), cell: String(cell) });
    return { nonzero, cells, maxAbs };
  }

  /** The cell at canvas pixel (x, y), or null between tiles and on the axes. */
  cellAt(x: number, y: number): Cell | null {
    let found: Cell | null = null;
    this.forEachCell((tile, i, j, cx, cy) => {
      if (x >= cx && x < cx + this.cell && y >= cy && y < cy + this.cell) found = { tile, i, j, v: this.tiles[tile][i][j] };
    });
    return found;
  }

  private show(c: Cell | null): void {
    if (!c) {
      this.readout.textContent = this.hint;
      return;
    }
    const where = this.tiles.length > 1 ? `sample ${c.tile}: ` : "";
    this.readout.textContent = `${where}J[${c.i}][${c.j}] = ${fmt(c.v)}  (output ${c.i}, input ${c.j})`;
  }

  private forEachCell(f: (tile: number, i: number, j: number, x: number, y: number) => void): void {
    let x0 = 0;
    this.tiles.forEach((t, tile) => {
      t.forEach((r, i) => r.forEach((_, j) => f(tile, i, j, LEFT + (x0 + j) * this.cell, TOP + i * this.cell)));
      x0 += (t[0]?.length ?? 0) + GAP;
    });
  }
}

/** Every k-th index, k such that labels do not overlap at this cell size. */
const stride = (cell: number, px: number): number => Math.max(1, Math.ceil(px / cell));

function drawAxes(g: CanvasRenderingContext2D, tiles: Matrix[], cell: number, rows: number): void {
  g.fillStyle = "#555";
  g.font = FONT;
  // the row axis: "output i" down the left, indices beside the rows
  g.save();
  g.translate(9, TOP + (rows * cell) / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = "center";
  g.textBaseline = "middle";
  g.fillText("output i", 0, 0);
  g.restore();
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0, k = stride(cell, 12); i < rows; i += k) g.fillText(String(i), LEFT - 3, TOP + i * cell + cell / 2);
  // the column axis: "input j" over the map (for a batch, the sample over each tile: the caption says "input j"), indices over the columns
  g.textAlign = "center";
  let x0 = 0;
  tiles.forEach((t, tile) => {
    const n = t[0]?.length ?? 0;
    g.textBaseline = "top";
    g.fillText(tiles.length > 1 ? `sample ${tile}` : "input j", LEFT + (x0 + n / 2) * cell, 1);
    g.textBaseline = "bottom";
    for (let j = 0, k = stride(cell, 16); j < n; j += k) g.fillText(String(j), LEFT + (x0 + j) * cell + cell / 2, TOP - 2);
    x0 += n + GAP;
  });
}

/** The colour scale: a bar from -max to +max with its values, and the grey of an exact zero. */
function drawScale(canvas: HTMLCanvasElement, maxAbs: number, width: number): void {
  const bar = width - 70;
  canvas.width = width;
  canvas.height = 30;
  canvas.className = "scale";
  const g = canvas.getContext("2d")!;
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, canvas.height);
  for (let x = 0; x < bar; x++) {
    g.fillStyle = colour((2 * x) / (bar - 1) - 1);
    g.fillRect(4 + x, 2, 1, 12);
  }
  g.fillStyle = ZERO;
  g.fillRect(bar + 14, 2, 12, 12);
  g.fillStyle = "#555";
  g.font = FONT;
  g.textBaseline = "top";
  const m = maxAbs || 1;
  g.textAlign = "left";
  g.fillText(fmt(-m), 4, 16);
  g.textAlign = "center";
  g.fillText("0", 4 + bar / 2, 16);
  g.textAlign = "right";
  g.fillText(fmt(m), 4 + bar, 16);
  g.textAlign = "left";
  g.textBaseline = "middle";
  g.fillText("= 0", bar + 29, 8);
  canvas.dataset.min = String(-m);
  canvas.dataset.max = String(m);
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
