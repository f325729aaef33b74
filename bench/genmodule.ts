// Generates a realistic TypeScript module for the compile-time benchmark: 20
// units, each a few helpers (branches, loops, Math calls), a model that calls
// them, some plain code no marker reaches, and one marker over the model (the
// markers cycle through jacrev, jacfwd, jacobian, grad, hessian, vjp, jvp), to
// about 1,000 lines in all. Deterministic: the same text every run.

const MARKERS = ["jacrev", "jacfwd", "jacobian", "grad", "hessian", "vjp", "jvp"] as const;

function unit(u: number): string[] {
  const m = MARKERS[u % MARKERS.length];
  const c = (k: number) => (((u * 7 + k * 13) % 17) / 10 + 0.1).toFixed(2);
  const scalarOut = m === "grad" || m === "hessian";
  const lines: string[] = [];
  lines.push(
    `// ---- unit ${u}: ${m}`,
    `const W${u} = [${[0, 1, 2, 3, 4].map(c).join(", ")}];`,
    `const SCALE${u} = ${c(5)};`,
    ``,
    `function act${u}(a: number, b: number): number {`,
    `  const s = a * b + W${u}[0];`,
    `  if (s > 1) {`,
    `    return Math.sqrt(s + 1) * Math.exp(-a * W${u}[1]);`,
    `  } else if (s < -1) {`,
    `    return Math.log1p(s * s) - b;`,
    `  }`,
    `  return Math.tanh(a - b) * W${u}[2] + s;`,
    `}`,
    ``,
    `function smooth${u}(v: number, t: number): number {`,
    `  let acc = 0;`,
    `  let j = 0;`,
    `  while (j < 3) {`,
    `    acc += Math.cos(v * (j + 1)) * ${c(6)} + Math.atan2(v, t + 2);`,
    `    j++;`,
    `  }`,
    `  return t > 0 ? acc * t : acc - Math.max(v, -t);`,
    `}`,
    ``,
    `function model${u}(x: Float64Array, t: number): ${scalarOut ? "number" : "[number, number]"} {`,
    `  let a = t;`,
    `  let b = 0;`,
    `  for (let i = 0; i < x.length; i++) {`,
    `    const v = act${u}(x[i], t);`,
    `    if (i % 2 === 0) {`,
    `      a += v * W${u}[3];`,
    `    } else {`,
    `      b = b * 0.5 + Math.sin(v) * SCALE${u};`,
    `    }`,
    `    if (v > 10) break;`,
    `    b += smooth${u}(x[i], a) * 0.01;`,
    `  }`,
    `  const h = Math.hypot(a, b + 1);`,
    scalarOut ? `  return h + a * b * W${u}[4];` : `  return [h, a * b * W${u}[4]];`,
    `}`,
    ``,
    `export function describe${u}(x: Float64Array): string {`,
    `  const parts: string[] = [];`,
    `  for (const v of x) parts.push(v.toFixed(3));`,
    `  return "unit ${u}: [" + parts.join(", ") + "]";`,
    `}`,
    ``,
  );
  const f = `(x: Float64Array) => model${u}(x, SCALE${u})`;
  switch (m) {
    case "jacrev":
    case "jacfwd":
    case "grad":
    case "hessian":
      lines.push(`export const d${u} = ${m}(${f});`);
      break;
    case "jacobian":
      lines.push(`export const d${u} = (x: Float64Array, t: number) => jacobian(model${u}, [x, t]);`);
      break;
    case "vjp":
      lines.push(`export const d${u} = (x: Float64Array) => vjp(${f}, [x]);`);
      break;
    case "jvp":
      lines.push(`export const d${u} = (x: Float64Array, dx: Float64Array) => jvp(${f}, [x], [dx]);`);
      break;
  }
  lines.push(``);
  return lines;
}

/** The module's text and its number of lines. */
export function generateModule(units = 20, targetLines = 1000): { source: string; lines: number; markers: number } {
  const head = [
    `// A generated module for jacc's compile-time benchmark (bench/genmodule.ts).`,
    `import { jacobian, jacrev, jacfwd, hessian, grad, vjp, jvp } from "jacc";`,
    ``,
  ];
  const body: string[] = [];
  for (let u = 0; u < units; u++) body.push(...unit(u));
  // pad with plain (undifferentiated) code, as real modules have, to the target length
  const lines = [...head, ...body];
  let p = 0;
  while (lines.length + 8 <= targetLines) {
    lines.push(
      `export function table${p}(n: number): number[] {`,
      `  const out: number[] = [];`,
      `  for (let i = 0; i < n; i++) {`,
      `    out.push(i % 3 === 0 ? i * ${p + 1} : -i);`,
      `  }`,
      `  return out;`,
      `}`,
      ``,
    );
    p++;
  }
  while (lines.length < targetLines) lines.push(`// padding`);
  return { source: lines.join("\n") + "\n", lines: lines.length, markers: units };
}
