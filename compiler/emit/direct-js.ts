// The JavaScript of a direct Jacobian kernel (compiler/opt/fuse-jacobian.ts
// decides which programs qualify and describes the kernel; this writes it): one loop
// that fills the Jacobian, float64 and float32 variants, guarded by the run-time
// checks of devices, dtypes and shapes.
import type { DirectKernel, KernelExpr as E } from "../ir/fused.js";
import { jsOf } from "../ops/elementwise.js";
import { safeText } from "./text.js";

const num = (c: number): string => (Object.is(c, -0) ? "(-0)" : c < 0 ? `(${c})` : Number.isNaN(c) ? "NaN" : `${c}`);

/** JS for an expression; f32 rounds after every op (and every number), as Float32Array stores do. */
function js(e: E, f32: boolean): string {
  const r = (s: string) => (f32 ? `Math.fround(${s})` : s);
  switch (e.k) {
    case "lit": return num(f32 ? Math.fround(e.v) : e.v);
    case "local": return e.name;
    case "base": return "w[row + k]";
    case "dot": return f32 ? "Math.fround(dot)" : "dot";
    case "op": {
      // (the registry's formula of the op, as fused loops use it)
      return r(`(${jsOf(e.op.slice(2), e.args.map((a) => js(a, f32)))})`);
    }
  }
}

/** `s` without one pair of parentheses around all of it (the right-hand side of a const). */
function bare(s: string): string {
  if (!s.startsWith("(")) return s;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i === s.length - 1 ? s.slice(1, -1) : s;
  }
  return s;
}

/** The kernel's function text (`ts`: typed parameters). */
export function renderDirectKernel(k: DirectKernel, ts: boolean): string {
  const { name, mode, label, externals, W, lines, final, reduced } = k;
  // only the locals the final tangent needs (the primal output is never computed)
  const need = new Set<string>();
  const visit = (e: E): void => {
    if (e.k === "local" && !need.has(e.name)) {
      need.add(e.name);
      const l = lines.find((q) => q.name === e.name);
      if (l) visit(l.e);
    } else if (e.k === "op") e.args.forEach(visit);
  };
  visit(final);
  // in row mode the tangent entries are per column k: only the per-row values are locals
  const perEntry = (e: E): boolean => e.k === "base" || (e.k === "local" && !!lines.find((q) => q.name === e.name && perEntry(q.e))) || (e.k === "op" && e.args.some(perEntry));
  const inline = (e: E, f32: boolean): string => {
    if (e.k === "local") {
      const l = lines.find((q) => q.name === e.name);
      if (l && perEntry(l.e)) return inline(l.e, f32);
    }
    if (e.k === "op") return js({ ...e, args: e.args.map((a) => ({ k: "local", name: inline(a, f32) }) as E) }, f32);
    return js(e, f32);
  };
  const used = lines.filter((l) => need.has(l.name) && !(mode === "rows" && perEntry(l.e)));

  const text = (ts: boolean): string => {
    const any = ts ? ": any" : "";
    const params = ["x", ...externals.map((_, i) => `e${i}`)].map((p) => `${p}${any}`).join(", ");
    // W first: the other guards read its shape
    const tensors = externals.map((ex, i) => ({ ex, i })).filter(({ ex }) => ex.kind === "tensor").sort((p, q) => (p.i === W ? -1 : q.i === W ? 1 : 0));
    const nums = externals.map((ex, i) => ({ ex, i })).filter(({ ex }) => ex.kind === "num");
    const isT = (p: string) => `${p} instanceof __JaccTensor && ${p}.device === "cpu" && ${p}.dtype === x.dtype`;
    const guards = [`!(x instanceof __JaccTensor) || x.device !== "cpu" || x.numel() === 0`];
    for (const { i } of tensors) {
      if (i === W) guards.push(`!(${isT(`e${i}`)} && e${i}.shape.length === 2 && x.shape.length === 1 && e${i}.shape[1] === x.shape[0])`);
      else guards.push(mode === "rows" ? `!(${isT(`e${i}`)} && e${i}.shape.length === 1 && e${i}.shape[0] === e${W}.shape[0])` : `!(${isT(`e${i}`)} && __jt.sjSameShape(e${i}.shape, x.shape))`);
    }
    for (const { i } of nums) guards.push(`typeof e${i} !== "number"`);
    const loop = (f32: boolean): string[] => {
      const loads = [...nums.map(({ i }) => `s${i} = ${f32 ? `Math.fround(e${i})` : `e${i}`}`)];
      const pre = loads.length ? [`const ${loads.join(", ")};`] : [];
      const defs = used.map((l) => `const ${l.name} = ${bare(inline(l.e, f32))};`);
      if (mode === "rows") {
        return [
          ...pre,
          `for (let r = 0; r < p; r++) {`,
          `  const row = r * q;`,
          `  let dot = 0; // W @ x, summed in float64 in order of k, rounded once`,
          `  for (let k = 0; k < q; k++) dot += w[row + k] * xd[k];`,
          ...defs.map((l) => `  ${l}`),
          `  for (let k = 0; k < q; k++) J[row + k] = ${inline(final, f32)};`,
          `}`,
        ];
      }
      const value = reduced?.op === "mean" ? js({ k: "op", op: "t.div", args: [{ k: "local", name: inline(final, f32) }, { k: "local", name: "red" }] }, f32) : inline(final, f32);
      const entry = `J[${reduced ? "(a * inner + c) * n + i" : "i * n + i"}] = ${value};`;
      const inner = [...defs, entry];
      if (!reduced) return [...pre, `for (let i = 0; i < n; i++) {`, ...inner.map((l) => `  ${l}`), `}`];
      return [
        ...pre,
        // the last dims reduced (inner = 1): one loop over the run, not a one-iteration loop per element
        `if (inner === 1) {`,
        `  for (let a = 0, i = 0; a < outer; a++) {`,
        `    const row = a * n;`,
        `    for (let r = 0; r < red; r++, i++) {`,
        ...[...defs, `J[row + i] = ${value};`].map((l) => `      ${l}`),
        `    }`,
        `  }`,
        `} else {`,
        `  for (let a = 0, i = 0; a < outer; a++)`,
        `    for (let r = 0; r < red; r++)`,
        `      for (let c = 0; c < inner; c++, i++) {`,
        ...inner.map((l) => `        ${l}`),
        `      }`,
        `}`,
      ];
    };
    // only the storages the loops read
    const body = loop(false).join("\n") + loop(true).join("\n");
    const kloads = tensors.filter(({ i }) => i !== W && new RegExp(`\\bk${i}\\b`).test(body)).map(({ i }) => `k${i} = e${i}.data`);
    const xd = /\bxd\b/.test(body) ? ", xd = x.data" : "";
    const shape = mode === "rows" ? "[p, q]" : reduced ? "run.shape" : "[...x.shape, ...x.shape]";
    // (too big a Jacobian is a RangeError naming the marker, before allocating: runtime/dtype.ts allocJacobian)
    const storage = `const J${any} = __jt.adJacobianStorage(${JSON.stringify(label)}, ${shape}, x.dtype);`;
    const setup =
      mode === "rows"
        ? [`const p = e${W}.shape[0], q = e${W}.shape[1], w = e${W}.data${xd}${kloads.map((k) => `, ${k}`).join("")};`, storage]
        : reduced
          ? [
              `const run = __jt.sjReduceRun(${JSON.stringify(reduced.op)}, x.shape, ${reduced.attrs.map((a) => (a === undefined ? "undefined" : JSON.stringify(a))).join(", ")});`,
              `if (run === undefined) return undefined; // not one run of dims`,
              `const n = x.numel()${xd}, outer = run.outer, red = run.red, inner = run.inner${kloads.map((k) => `, ${k}`).join("")};`,
              storage,
            ]
          : [`const n = x.numel()${xd}${kloads.map((k) => `, ${k}`).join("")};`, storage];
    const what = mode === "rows" ? "row r is W's row r through the tangent ops of row r" : reduced ? `entry (o, i) is the diagonal's entry i, o the element i is ${reduced.op === "mean" ? "averaged" : "summed"} into` : "the diagonal, one entry per element";
    const names = externals.map((ex, i) => `e${i} = ${ex.ext ?? (ex.atom.k === "var" ? ex.atom.name : "?")}`);
    return [
      `// direct Jacobian (compiler/opt/fuse-jacobian.ts): ${what}; undefined when devices, dtypes or shapes differ`,
      ...(names.length ? [`// (${safeText(names.join(", "))})`] : []), // (a captured value's source text: any characters)
      `function ${name}(${params})${any} {`,
      `  if (${guards.join(" || ")}) return undefined;`,
      ...setup.map((l) => `  ${l}`),
      `  if (J instanceof Float64Array) {`,
      ...loop(false).map((l) => `    ${l}`),
      `  } else {`,
      ...loop(true).map((l) => `    ${l}`),
      `  }`,
      `  __jt.sjStats.direct++;`,
      `  return new __JaccTensor(J, ${shape});`,
      `}`,
    ].join("\n");
  };
  return text(ts);
}
