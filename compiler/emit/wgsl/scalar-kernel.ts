// IR → one WGSL compute shader for a vmapped scalar program: each invocation
// computes one batch row. The entry function (a driver that jacfwd / jacrev /
// grad / jacobian / hessian built, a jvp / vjp function, or a plain user
// function of numbers and fixed-length number[]) and the functions it calls
// become WGSL functions; `main` reads the row's inputs, calls the entry and
// writes every result component into the output array.
//
// Buffers (bind group 0):
//   @binding(0) var<uniform> jacc_layout: JaccLayout   rows B, output strides, one vec4<u32> per input
//   @binding(1) var<storage, read> jacc_in: array<f32>  every input, where the layout says
//   @binding(2) var<storage, read_write> jacc_out: array<f32>
// or, with options.separateInputs, one binding per input (jacc_in0, jacc_in1, …
// at bindings 1…n, jacc_out at n + 1), so that the runtime binds each batched
// input's own buffer instead of packing copies of them into one.
// Input p's element i of row r is jacc_in[off + r * rowStride + i * elemStride]
// with (off, rowStride, elemStride) = the input's vec4 in the layout: a batched
// number is a [B] array (row stride 1), a batched vector a [B, n] row-major
// block (row stride n), an unbatched input has row stride 0. Result component j
// of row r goes to jacc_out[outBase + r * outRow + j * outCol]: by default
// [B, k] row-major (outRow = k, outCol = 1), k = the components of all results
// flattened in order (a number 1, a vector n, a Jacobian block its numel).
// The strides are run-time values, so another packing needs no new shader
// (the runtime packs: runtime/webgpu/vmap.ts).
//
// What is supported: numbers (f32), booleans, fixed-length vectors (WGSL
// `array<f32, N>`, N known when the kernel is built), every scalar primitive of
// the rule table (careful formulas where WGSL has no builtin or SwiftShader's is
// loose), if / loops / counted loops (run-time bounds), flags, calls (one WGSL
// function per callee and vector-length signature; results as structs), and
// the reverse sweep's tape of numbers as a private array whose capacity is
// computed by running the program's control skeleton at build time. Anything
// else (Tensor ops, recursion, a tape that grows with a run-time trip count,
// vectors of unknown length, Math.random, vectors on the tape) throws a
// `WgslKernelError` naming the construct and the source line: never invalid WGSL.
import { type Atom, type Expr, type Fn, type Loc, type Stmt, stmtReads, type Type, userName, walk } from "../../ir/ir.js";
import { type KernelOutput, type KernelInput, type ScalarKernel, type ScalarKernelOptions, type ScalarKernelSignature, shortName, WgslKernelError } from "../../ir/kernel.js";
import type { Analysis, Inst, KernelAnalysis } from "../../opt/kernel-bounds.js";
import { safeText } from "../text.js";
import { closeMath, MATH, MATH_BITS } from "./math.js";

/** Inputs that may each have a binding of their own (options.separateInputs). */
const MAX_SEPARATE = 6;

const RESERVED = new Set(
  (
    "alias break case const const_assert continue continuing default diagnostic discard else enable false fn for if let loop override requires return struct switch true var while " +
    "NULL Self abstract active alignas alignof as asm asm_fragment async attribute auto await become cast catch class co_await co_return co_yield coherent column_major common compile compile_fragment concept const_cast consteval constexpr constinit crate debugger decltype delete demote demote_to_helper do dynamic_cast enum explicit export extends extern external fallthrough filter final finally friend from fxgroup get goto groupshared highp impl implements import inline instanceof interface layout lowp macro macro_rules match mediump meta mod module move mut mutable namespace new nil noexcept noinline nointerpolation non_coherent noncoherent noperspective null nullptr of operator package packoffset partition pass patch pixelfragment precise precision premerge priv protected pub public readonly ref regardless register reinterpret_cast require resource restrict self set shared sizeof smooth snorm static static_assert static_cast std subroutine super target template this thread_local throw trait try type typedef typeid typename typeof union unless unorm unsafe unsized use using varying virtual volatile wgsl where with writeonly yield " +
    "array atomic bool f16 f32 i32 mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4 ptr sampler sampler_comparison texture_1d texture_2d texture_2d_array texture_3d texture_cube texture_cube_array u32 vec2 vec3 vec4 " +
    "abs acos acosh all any arrayLength asin asinh atan atan2 atanh bitcast ceil clamp cos cosh countLeadingZeros countOneBits countTrailingZeros cross degrees determinant distance dot exp exp2 extractBits faceForward firstLeadingBit firstTrailingBit floor fma fract frexp insertBits inverseSqrt ldexp length log log2 max min mix modf normalize pow quantizeToF16 radians reflect refract reverseBits round saturate select sign sin sinh smoothstep sqrt step tan tanh transpose trunc storageBarrier workgroupBarrier uniform storage function private workgroup read write read_write main"
  ).split(" "),
);

function sanitize(name: string): string {
  let n = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (/^[0-9]/.test(n)) n = `v_${n}`;
  if (n === "_" || n === "") n = "v";
  if (n.startsWith("__")) n = `v${n}`;
  if (RESERVED.has(n) || /^(vec[234][ifuh]|mat[234]x[234][fh])$/.test(n) || n.startsWith("jacc_")) n = `${n}_`;
  return n;
}

/** A WGSL f32 value as text (infinities and NaN are made at run time: WGSL literals cannot hold them). */
function fmt(x: number): string {
  if (Number.isNaN(x)) return "jacc_nan()";
  if (Math.abs(x) > 3.4028234663852886e38) {
    // beyond f32: rounds to infinity (a literal that large is a WGSL error)
    if (Math.abs(Math.fround(x)) === Infinity) return x > 0 ? "jacc_inf()" : "(-jacc_inf())";
  }
  if (Object.is(x, -0)) return "(-0.0)";
  let s = String(Math.abs(x));
  if (!/[.e]/.test(s)) s += ".0";
  return x < 0 ? `(-${s})` : s;
}

const UNARY: Record<string, string> = {
  exp: "exp", log: "jacc_log", log2: "jacc_log2", sqrt: "jacc_sqrt", floor: "floor", ceil: "ceil", trunc: "trunc", abs: "abs",
  log10: "jacc_log10", log1p: "jacc_log1p", expm1: "jacc_expm1", cbrt: "jacc_cbrt", sin: "jacc_sin", cos: "jacc_cos", tan: "jacc_tan",
  asin: "jacc_asin", acos: "jacc_acos", atan: "jacc_atan", sinh: "jacc_sinh", cosh: "jacc_cosh", tanh: "jacc_tanh",
  asinh: "jacc_asinh", acosh: "jacc_acosh", atanh: "jacc_atanh", sign: "jacc_sign", round: "jacc_round",
};
const BINOP: Record<string, string> = { add: "+", sub: "-", mul: "*", div: "/", lt: "<", le: "<=", gt: ">", ge: ">=", eq: "==", ne: "!=", and: "&&", or: "||" };

/** Emits the kernel that `analysis` (compiler/opt/kernel-bounds.ts analyseKernel, with the same options) describes: see the header of this file for the buffers and the layout. */
export function emitScalarKernel(options: ScalarKernelOptions, analysis: KernelAnalysis): ScalarKernel {
  const { fn, args, an, root, results, tapeCap, guarded } = analysis;
  const wg = options.workgroupSize ?? 64;
  const entryPoint = options.entryPoint ?? "main";

  // global names
  const globals = new Set<string>(["main", entryPoint, "jacc_layout", "jacc_in", "jacc_out", ...Array.from({ length: MAX_SEPARATE }, (_, i) => `jacc_in${i}`)]);
  const claimGlobal = (base: string): string => {
    let n = sanitize(base);
    for (let i = 2; globals.has(n); i++) n = `${sanitize(base)}_${i}`;
    globals.add(n);
    return n;
  };
  const order = topo(an.insts, root.key);
  const structNames = new Map<string, string>();
  for (const key of order) {
    const inst = an.insts.get(key)!;
    inst.wname = claimGlobal(inst.wname);
  }
  for (const key of order) {
    const inst = an.insts.get(key)!;
    if (inst.fn.results.length > 1) structNames.set(key, claimGlobal(`${inst.wname}_out`));
  }

  // inputs
  const inputs: KernelInput[] = [];
  const fields = new Set<string>(["rows", "out_base", "out_row", "out_col"]);
  const field = (base: string) => {
    let n = sanitize(`in_${base}`);
    for (let i = 2; fields.has(n); i++) n = sanitize(`in_${base}_${i}`);
    fields.add(n);
    return n;
  };
  fn.params.forEach((p, i) => {
    const a = args[i];
    inputs.push({ name: p.name, source: "param", param: i, length: a.t === "vec" ? a.len : 1, vector: a.t === "vec", batched: options.batched?.[i] ?? true, field: field(p.name) });
  });
  const extNames = new Map<string, string>();
  for (const [text, ex] of an.externals) {
    extNames.set(text, claimGlobal(`ext_${text}`));
    if (ex.kind === "input") inputs.push({ name: text, source: "external", length: ex.length, vector: ex.vector, batched: false, field: field(text) });
  }
  // WebGPU's default limit is 8 storage buffers per stage: the layout, the output and 6 inputs
  const separate = !!options.separateInputs && inputs.length <= MAX_SEPARATE;

  // outputs
  const outputs: KernelOutput[] = [];
  let k = 0;
  fn.results.forEach((t, i) => {
    const a = results[i];
    let shape: number[] = [];
    let kind: KernelOutput["kind"] = "num";
    if (a?.t === "vec") {
      if (a.len < 0) throw new WgslKernelError("vector-length", `result ${i} of \`${fn.source ?? fn.name}\` has no static length`, fn.loc);
      shape = a.shape ?? [a.len];
      kind = t.k === "tensor" ? "tensor" : "vec";
    } else if (a?.t === "bool") kind = "bool";
    else if (a?.t === "tp") throw new WgslKernelError("internal", "a tape position as a result", fn.loc);
    const size = shape.reduce((x, y) => x * y, 1);
    outputs.push({ result: i, kind, shape, offset: k, size: kind === "vec" || kind === "tensor" ? (a as { len: number }).len : 1 });
    k += outputs[outputs.length - 1].size;
    void size;
  });

  // which vector parameters are written through (passed by pointer), callees first
  const emitted: string[] = [];
  const helpers = new Set<string>();
  const structs: string[] = [];
  const ptrParams = new Map<string, Set<number>>();
  const ctx: EmitCtx = { an, insts: an.insts, ptrParams, helpers, structs, structNames, extNames, globals, tapeCap, guarded, objLens: an.objLens, failed: false, loopLimit: options.loopLimit ?? 1 << 20 };
  for (const key of [...order].reverse()) {
    const inst = an.insts.get(key)!;
    emitted.unshift(new FnEmitter(inst, ctx).emit());
  }

  // main
  const L: string[] = [];
  const sig: ScalarKernelSignature = {
    entry: fn.name, entryPoint, workgroupSize: wg, inputs, outputs, rowWidth: k,
    uniformBytes: 16 + 16 * inputs.length, tapeCapacity: tapeCap,
    bindings: separate ? { layout: 0, inputs: inputs.map((_, i) => 1 + i), outputs: 1 + inputs.length } : { layout: 0, inputs: 1, outputs: 2 },
  };
  L.push(`// ---- jacc: a vmapped scalar kernel for \`${safeText(fn.source ?? fn.name)}\` (${fn.name}), one invocation per batch row`);
  L.push(`// inputs: ${inputs.map((x) => `${safeText(x.name)}${x.vector ? `[${x.length}]` : ""}`).join(", ") || "none"}; a row of outputs: ${k} f32 (${outputs.map((o) => `result ${o.result}${o.shape.length ? ` [${o.shape.join(", ")}]` : ""}`).join(", ")})`);
  L.push(`struct JaccLayout {`);
  L.push(`  rows: u32, // B: the number of batch rows`);
  L.push(`  out_base: u32, // result component j of row r is jacc_out[out_base + r * out_row + j * out_col]`);
  L.push(`  out_row: u32,`);
  L.push(`  out_col: u32,`);
  for (const x of inputs) L.push(`  ${x.field}: vec4<u32>, // ${x.source === "param" ? "parameter" : "captured"} \`${safeText(x.name)}\`${x.vector ? ` (${x.length} f32)` : ""}: (offset, row stride, element stride, unused) in jacc_in; row stride 0 = the same for every row`);
  L.push(`}`);
  // (read-only storage when the runtime's executor dispatches it: it binds its parameters as storage)
  L.push(`@group(0) @binding(0) var<${options.layoutStorage ? "storage, read" : "uniform"}> jacc_layout: JaccLayout;`);
  if (separate) {
    inputs.forEach((x, i) => L.push(`@group(0) @binding(${1 + i}) var<storage, read> jacc_in${i}: array<f32>; // ${x.source === "param" ? "parameter" : "captured"} ${safeText(x.name)}`));
    L.push(`@group(0) @binding(${1 + inputs.length}) var<storage, read_write> jacc_out: array<f32>;`);
  } else {
    L.push(`@group(0) @binding(1) var<storage, read> jacc_in: array<f32>;`);
    L.push(`@group(0) @binding(2) var<storage, read_write> jacc_out: array<f32>;`);
  }
  const BITS = L.length; // the bit patterns of ±Infinity and NaN go here when used
  if (tapeCap > 0) {
    L.push(`// the reverse sweep's tape: at most ${tapeCap} numbers per row${guarded ? " (options.tapeCapacity; a row that overflows writes NaN)" : " (from the program's loop bounds)"}`);
    L.push(`var<private> jacc_tape: array<f32, ${tapeCap}>;`);
  }
  if (usesTape(an)) L.push(`var<private> jacc_sp: i32;`);
  an.objLens.forEach((len, k) => {
    L.push(`// vectors of length ${len} the reverse sweep saves: at most ${an.objPeak[k]}`);
    L.push(`var<private> jacc_otape${k}: array<array<f32, ${Math.max(1, len)}>, ${Math.max(1, an.objPeak[k])}>;`);
    L.push(`var<private> jacc_osp${k}: i32;`);
  });
  if (ctx.failed) L.push(`var<private> jacc_failed: bool; // a tape overflow or a loop past options.loopLimit: the row's outputs are NaN`);
  for (const [text, ex] of an.externals) {
    const n = extNames.get(text)!;
    if (ex.kind === "const") {
      if (Array.isArray(ex.value)) L.push(`var<private> ${n}: array<f32, ${Math.max(1, ex.value.length)}> = array<f32, ${Math.max(1, ex.value.length)}>(${ex.value.length ? ex.value.map(fmtConst).join(", ") : "0.0"}); // captured \`${text}\`, baked`);
      else L.push(`const ${n}: f32 = ${fmtConst(ex.value)}; // captured \`${text}\`, baked`);
    } else L.push(`var<private> ${n}: ${ex.vector ? `array<f32, ${Math.max(1, ex.length)}>` : "f32"}; // captured \`${text}\`, read from jacc_in`);
  }
  const mainL: string[] = [];
  mainL.push(`@compute @workgroup_size(${wg})`);
  mainL.push(`fn ${entryPoint}(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {`);
  mainL.push(`  let row = gid.x + gid.y * groups.x * ${wg}u;`);
  mainL.push(`  if (row >= jacc_layout.rows) { return; }`);
  const at = (x: KernelInput, el: string) => `jacc_in${separate ? inputs.indexOf(x) : ""}[jacc_layout.${x.field}.x + row * jacc_layout.${x.field}.y${el === "0u" ? "" : ` + ${el} * jacc_layout.${x.field}.z`}]`;
  const argNames: string[] = [];
  const taken = new Set<string>(["row", "gid", "groups", "r", "o", "i"]);
  const local = (base: string) => {
    let n = sanitize(base);
    for (let i = 2; taken.has(n) || globals.has(n); i++) n = `${sanitize(base)}_${i}`;
    taken.add(n);
    return n;
  };
  const rootPtr = ptrParams.get(root.key) ?? new Set<number>();
  for (const x of inputs) {
    if (x.source === "param") {
      const n = local(x.name);
      argNames.push(rootPtr.has(x.param!) ? `&${n}` : n);
      if (x.vector) {
        mainL.push(`  var ${n}: array<f32, ${Math.max(1, x.length)}>;`);
        mainL.push(`  for (var i = 0u; i < ${x.length}u; i++) { ${n}[i] = ${at(x, "i")}; }`);
      } else mainL.push(`  ${rootPtr.has(x.param!) ? "var" : "let"} ${n} = ${at(x, "0u")};`);
    } else {
      const n = extNames.get(x.name)!;
      if (x.vector) mainL.push(`  for (var i = 0u; i < ${x.length}u; i++) { ${n}[i] = ${at(x, "i")}; }`);
      else mainL.push(`  ${n} = ${at(x, "0u")};`);
    }
  }
  if (usesTape(an)) mainL.push(`  jacc_sp = 0;`);
  an.objLens.forEach((_, k) => mainL.push(`  jacc_osp${k} = 0;`));
  const call = `${root.wname}(${argNames.join(", ")})`;
  mainL.push(`  var r = ${call};`);
  mainL.push(`  let o = jacc_layout.out_base + row * jacc_layout.out_row;`);
  const rootStruct = fn.results.length !== 1;
  for (const out of outputs) {
    const val = rootStruct ? `r.v${out.result}` : "r";
    const conv = (e: string) => (out.kind === "bool" ? `select(0.0, 1.0, ${e})` : ctx.failed ? `select(${e}, jacc_nan(), jacc_failed)` : e);
    if (out.kind === "num" || out.kind === "bool") mainL.push(`  jacc_out[o + ${out.offset}u * jacc_layout.out_col] = ${conv(val)};`);
    else mainL.push(`  for (var i = 0u; i < ${out.size}u; i++) { jacc_out[o + (${out.offset}u + i) * jacc_layout.out_col] = ${conv(`${val}[i]`)}; }`);
  }
  mainL.push(`}`);
  // the helpers the text calls (and theirs)
  const body = [...structs.flatMap((s) => [s, ""]), ...emitted.flatMap((e) => [e, ""]), ...mainL].join("\n");
  const used = new Set<string>();
  const scan = (text: string) => {
    for (const m of text.matchAll(/\b(jacc_[a-z0-9]+)\(/g)) {
      if (!MATH[m[1]] || used.has(m[1])) continue;
      used.add(m[1]);
      scan(MATH[m[1]].code);
    }
  };
  scan(body + L.join("\n"));
  if (used.has("jacc_inf") || used.has("jacc_nan")) L.splice(BITS, 0, ...MATH_BITS.split("\n"));
  const helperText = closeMath(used).map((h) => MATH[h].code);
  const code = [...L, "", ...helperText.flatMap((h) => [h, ""]), body].join("\n") + "\n";
  return { code, signature: sig };
}

function fmtConst(x: number): string {
  if (!Number.isFinite(x) || Math.abs(x) > 3.4028234663852886e38) throw new WgslKernelError("external", `captured constant ${x} is not a finite f32 (bake it at run time instead: options.externals { length })`);
  return fmt(x);
}

function usesTape(an: Analysis): boolean {
  for (const inst of an.insts.values()) {
    let u = false;
    walk(inst.fn.body, (s) => {
      if (inst.visited.has(s) && (s.k === "push" || s.k === "pushobj" || s.k === "settape" || (s.k === "let" && (s.e.k === "pop" || s.e.k === "popobj" || s.e.k === "tape")))) u = true;
    });
    if (u) return true;
  }
  return false;
}

/** Instances in call order from the root (callers before callees). */
function topo(insts: Map<string, Inst>, root: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k)) return;
    seen.add(k);
    for (const c of insts.get(k)!.calls.values()) visit(c);
    out.unshift(k);
  };
  visit(root);
  return out;
}

interface EmitCtx {
  an: Analysis;
  insts: Map<string, Inst>;
  ptrParams: Map<string, Set<number>>;
  helpers: Set<string>;
  structs: string[];
  structNames: Map<string, string>;
  extNames: Map<string, string>;
  globals: Set<string>;
  tapeCap: number;
  guarded: boolean;
  objLens: number[];
  /** the text sets jacc_failed (tape overflow, loop limit) */
  failed: boolean;
  loopLimit: number;
}

/** One WGSL function for one instance. */
class FnEmitter {
  private lines: string[] = [];
  private ind = 1;
  private lastLine = -1;
  private names = new Map<string, string>(); // IR name → WGSL name
  private taken = new Set<string>();
  private group = new Map<string, string>(); // vector IR name → its storage's IR name
  private ptr = new Set<string>(); // IR names that are pointer parameters
  private extAlias = new Set<string>(); // vector groups that are a captured array
  private declared = new Map<string, string>(); // WGSL local → its type
  private fn: Fn;
  private paramCopies: string[] = [];
  private resultStruct?: string;

  constructor(private inst: Inst, private ctx: EmitCtx) {
    this.fn = inst.fn;
  }

  private fail(construct: string, msg: string, loc?: Loc): never {
    throw new WgslKernelError(construct, msg, loc ?? this.fn.loc);
  }

  private isVec(name: string): boolean {
    const t = this.fn.vars.get(name);
    return !!t && (t.k === "vec" || t.k === "tensor");
  }

  /** Vectors copied into one another (`a = b`, result blocks over their storage) share one WGSL array, as JS shares the object. */
  private groups(): void {
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let p = parent.get(x) ?? x;
      if (p !== x) {
        p = find(p);
        parent.set(x, p);
      }
      return p;
    };
    const union = (a: string, b: string) => {
      const ra = find(a);
      const rb = find(b);
      if (ra === rb) return;
      // a parameter is its group's name
      const params = new Set(this.fn.params.map((p) => p.name));
      if (params.has(rb)) parent.set(ra, rb);
      else parent.set(rb, ra);
    };
    walk(this.fn.body, (s) => {
      if (!this.inst.visited.has(s) || s.k !== "let" || !this.isVec(s.dst)) return;
      const e = s.e;
      if (e.k === "atom" && e.a.k === "var" && this.isVec(e.a.name)) union(e.a.name, s.dst);
      if (e.k === "wrap" && e.data.k === "var") union(e.data.name, s.dst);
      if (e.k === "tdata" && e.t.k === "var") union(e.t.name, s.dst);
    });
    for (const n of this.fn.vars.keys()) if (this.isVec(n)) this.group.set(n, find(n));
  }

  private lenOf(name: string): number {
    const rep = this.group.get(name) ?? name;
    let len = this.inst.vecLen.get(name) ?? this.inst.vecLen.get(rep);
    if (len === undefined) for (const [m, r] of this.group) if (r === rep && this.inst.vecLen.has(m)) len = this.inst.vecLen.get(m);
    // never given a value on any path the program can take (the analysis checked every read, write and
    // length of vectors): a one-element placeholder
    if (len === undefined) len = 1;
    return len;
  }

  private wtype(name: string): string {
    const t = this.fn.vars.get(name);
    if (this.inst.tapeVars.has(name)) return this.ctx.objLens.length ? "vec4<i32>" : "i32";
    if (!t) this.fail("internal", `unknown variable ${name}`);
    if (t.k === "num") return "f32";
    if (t.k === "bool") return "bool";
    if (t.k === "vec" || t.k === "tensor") return `array<f32, ${Math.max(1, this.lenOf(name))}>`;
    this.fail("type", `\`${name}\` is not a number, a boolean or a vector`);
  }

  private claim(base: string): string {
    let n = sanitize(base);
    for (let i = 2; this.taken.has(n) || this.ctx.globals.has(n); i++) n = `${sanitize(base)}_${i}`;
    this.taken.add(n);
    return n;
  }

  /** The WGSL name of an IR variable (declared on first use). */
  private name(ir: string): string {
    const key = this.isVec(ir) ? this.group.get(ir) ?? ir : ir;
    let n = this.names.get(key);
    if (!n) {
      n = this.claim(key);
      this.names.set(key, n);
      if (!this.fn.params.some((p) => p.name === key)) this.declared.set(n, this.wtype(key));
    }
    return n;
  }

  private defFlag(ir: string): string {
    const n = `${ir}__def`;
    let w = this.names.get(n);
    if (!w) {
      w = this.claim(`${this.name(ir)}_def`);
      this.names.set(n, w);
      this.declared.set(w, "bool");
      // parameters and values never undefined start defined
    }
    return w;
  }

  private line(s: string): void {
    this.lines.push("  ".repeat(this.ind) + s);
  }

  private a(x: Atom, bare = false): string {
    if (x.k === "lit") {
      if (typeof x.v === "number") return fmt(x.v);
      if (typeof x.v === "boolean") return String(x.v);
      return "0.0";
    }
    const e = this.pending.get(x.name);
    if (e !== undefined) {
      this.pending.delete(x.name);
      return bare || /^[\w.]+$|^[\w.]+\[[\w.()]+\]$|^\w+\([^()]*\)$/.test(e) ? e : `(${e})`;
    }
    const n = this.name(x.name);
    if (this.ptr.has(this.group.get(x.name) ?? x.name)) return `(*${n})`;
    return n;
  }

  private num(x: Atom): string {
    const s = this.a(x);
    if (x.k === "lit" && typeof x.v === "number") {
      if (s.includes("jacc_inf")) this.ctx.helpers.add("jacc_inf");
      if (s.includes("jacc_nan")) this.ctx.helpers.add("jacc_nan");
    }
    return s;
  }

  private idx(x: Atom): string {
    if (x.k === "lit" && typeof x.v === "number") return String(Math.trunc(x.v));
    return `i32(${this.a(x)})`;
  }

  private helper(name: string): string {
    this.ctx.helpers.add(name);
    return name;
  }

  emit(): string {
    const fn = this.fn;
    this.groups();
    // by-pointer vector parameters: written here or by a callee through a pointer
    const ptrSet = new Set<number>();
    const writtenGroups = new Set<string>();
    walk(fn.body, (s) => {
      if (!this.inst.visited.has(s)) return;
      if ((s.k === "store" || s.k === "fill0") && s.arr.k === "var") writtenGroups.add(this.group.get(s.arr.name) ?? s.arr.name);
      if (s.k === "call") {
        const ck = this.inst.calls.get(s);
        const cp = ck ? this.ctx.ptrParams.get(ck) : undefined;
        s.args.forEach((a, i) => {
          if (cp?.has(i) && a.k === "var") writtenGroups.add(this.group.get(a.name) ?? a.name);
        });
      }
    });
    // a captured array read and never written is the captured array itself (no local copy)
    const extDefs = new Map<string, Set<string>>();
    walk(fn.body, (s) => {
      if (!this.inst.visited.has(s) || s.k !== "let" || !this.isVec(s.dst)) return;
      const e = s.e;
      if ((e.k === "atom" && e.a.k === "var") || e.k === "wrap" || e.k === "tdata") return;
      const rep = this.group.get(s.dst) ?? s.dst;
      const set = extDefs.get(rep) ?? new Set<string>();
      set.add(e.k === "ext" ? `ext:${e.text}` : "other");
      extDefs.set(rep, set);
    });
    for (const [rep, set] of extDefs) {
      const only = [...set][0];
      if (set.size !== 1 || !only.startsWith("ext:") || writtenGroups.has(rep) || this.fn.params.some((p) => p.name === rep)) continue;
      const global = this.ctx.extNames.get(only.slice(4));
      if (global) {
        this.names.set(rep, global);
        this.extAlias.add(rep);
      }
    }
    const assignedGroups = new Set<string>();
    const assigned = new Set<string>();
    walk(fn.body, (s) => {
      if (!this.inst.visited.has(s)) return;
      if (s.k === "let") {
        assigned.add(s.dst);
        const aliasing = this.isVec(s.dst) && ((s.e.k === "atom" && s.e.a.k === "var") || s.e.k === "wrap" || s.e.k === "tdata");
        if (this.isVec(s.dst) && !aliasing) assignedGroups.add(this.group.get(s.dst) ?? s.dst);
      }
      if (s.k === "call") s.dsts.forEach((d) => (assigned.add(d), this.isVec(d) && assignedGroups.add(this.group.get(d) ?? d)));
      if (s.k === "for") assigned.add(s.index);
    });
    const params: string[] = [];
    fn.params.forEach((p, i) => {
      const key = this.isVec(p.name) ? this.group.get(p.name) ?? p.name : p.name;
      const isVecP = this.isVec(p.name);
      if (isVecP && writtenGroups.has(key)) {
        if (assignedGroups.has(key)) this.fail("vector-alias", `vector parameter \`${userName(p)}\` of \`${fn.source ?? fn.name}\` is both written through and rebound`);
        ptrSet.add(i);
        this.ptr.add(key);
        const n = this.claim(p.name);
        this.names.set(key, n);
        params.push(`${n}: ptr<function, ${this.wtype(p.name)}>`);
        return;
      }
      const rebound = isVecP ? assignedGroups.has(key) : assigned.has(p.name);
      const argV = this.inst.args[i];
      const ty = argV.t === "vec" && argV.len < 0 ? "array<f32, 1>" : argV.u === 2 && !isVecP ? (p.type.k === "bool" ? "bool" : "f32") : this.wtype(p.name);
      if (rebound) {
        const pn = this.claim(`${p.name}_arg`);
        const n = this.claim(p.name);
        this.names.set(key, n);
        this.declared.set(n, ty);
        params.push(`${pn}: ${ty}`);
        this.paramCopies.push(`${n} = ${pn};`);
      } else {
        const n = this.claim(p.name);
        this.names.set(key, n);
        params.push(`${n}: ${ty}`);
      }
    });
    this.ctx.ptrParams.set(this.inst.key, ptrSet);

    // results: one value, or a struct
    const resTypes = fn.results.map((t, i) => {
      const a = this.inst.results?.[i];
      if (a?.t === "vec") return `array<f32, ${Math.max(1, a.len)}>`;
      if (a?.t === "bool" || t.k === "bool") return "bool";
      if (a?.t === "tp") return this.ctx.objLens.length ? "vec4<i32>" : "i32";
      if (t.k === "num") return "f32";
      if (a?.t === "num") return "f32";
      this.fail("type", `result ${i} of \`${fn.source ?? fn.name}\` is not a number, a boolean or a vector`);
    });
    let ret = "";
    if (fn.results.length === 1) ret = ` -> ${resTypes[0]}`;
    else if (fn.results.length > 1) {
      this.resultStruct = this.ctx.structNames.get(this.inst.key)!;
      this.ctx.structs.unshift(`struct ${this.resultStruct} {\n${resTypes.map((t, i) => `  v${i}: ${t},`).join("\n")}\n}`);
      ret = ` -> ${this.resultStruct}`;
    }
    this.findInlinable();
    this.block(fn.body);
    const where = fn.loc ? ` (${safeText(`${fn.source ?? fn.name} at ${shortName(fn.loc.file)}:${fn.loc.line}`)})` : "";
    const head = [`// generated by jacc from ${fn.name}${where}`, `fn ${this.inst.wname}(${params.join(", ")})${ret} {`];
    // locals, several to a line (WGSL declares one per `var`); zero-initialised as JavaScript's are
    const decls: string[] = [];
    for (const [n, t] of this.declared) {
      const d = `var ${n}: ${t};`;
      const last = decls[decls.length - 1];
      if (last && last.length + d.length < 110) decls[decls.length - 1] = `${last} ${d}`;
      else decls.push(`  ${d}`);
    }
    const copies = this.paramCopies.map((c) => `  ${c}`);
    // flags of values that may be undefined: set where the value is given
    return [...head, ...decls, ...copies, ...this.lines, "}"].join("\n");
  }

  private block(list: Stmt[]): void {
    for (const s of list) {
      if (!this.inst.visited.has(s)) continue;
      if (s.k === "let" && this.inline.has(s)) this.pending.set(s.dst, this.expr(s.e, s.dst));
      else this.stmt(s);
    }
  }

  /** single-use temporaries, written inside the statement that reads them (as the JS emitter does) */
  private inline = new Set<Stmt>();
  private pending = new Map<string, string>();

  /** `t = e` (a primitive or a load of a number or boolean) whose only read is the next statement of its block. */
  private findInlinable(): void {
    const reads = new Map<string, number>();
    const defs = new Map<string, number>();
    walk(this.fn.body, (s) => {
      for (const a of stmtReads(s)) if (a.k === "var") reads.set(a.name, (reads.get(a.name) ?? 0) + 1);
      if (s.k === "let") defs.set(s.dst, (defs.get(s.dst) ?? 0) + 1);
      if (s.k === "call") s.dsts.forEach((d) => defs.set(d, 9));
      if (s.k === "for") defs.set(s.index, 9);
    });
    const params = new Set(this.fn.params.map((p) => p.name));
    const visit = (list: Stmt[]) => {
      const live = list.filter((x) => this.inst.visited.has(x));
      live.forEach((s, i) => {
        if (s.k === "if") (visit(s.then), visit(s.else));
        if (s.k === "loop") (visit(s.pre), visit(s.body));
        if (s.k === "for") visit(s.body);
        if (s.k !== "let" || (s.e.k !== "prim" && s.e.k !== "load")) return;
        const t = this.fn.vars.get(s.dst)?.k;
        if ((t !== "num" && t !== "bool") || params.has(s.dst) || defs.get(s.dst) !== 1 || reads.get(s.dst) !== 1) return;
        if (this.inst.tapeVars.has(s.dst) || this.inst.undefVars.has(s.dst) || this.inst.folded.has(s)) return;
        const next = live[i + 1];
        if (!next || next.k === "for" || next.k === "loop" || next.k === "push" || next.k === "pushobj" || next.k === "if") return;
        if (stmtReads(next).some((a) => a.k === "var" && a.name === s.dst)) this.inline.add(s);
      });
    };
    visit(this.fn.body);
  }

  private nested(list: Stmt[]): void {
    this.ind++;
    this.block(list);
    this.ind--;
  }

  private setDef(dst: string, defined: boolean | string): void {
    if (!this.inst.undefVars.has(dst)) return;
    this.line(`${this.defFlag(dst)} = ${defined};`);
  }

  private stmt(s: Stmt): void {
    const loc = "loc" in s ? s.loc : undefined;
    if (loc && loc.line !== this.lastLine && (s.k === "if" || s.k === "loop" || s.k === "let" || s.k === "store" || s.k === "call")) {
      this.lastLine = loc.line;
      this.line(`// ${safeText(shortName(loc.file))}:${loc.line}`);
    }
    switch (s.k) {
      case "let": return this.let(s);
      case "store": {
        const arr = this.a(s.arr);
        return this.line(`${arr}[${this.idx(s.index)}] ${s.accum ? "+=" : "="} ${this.num(s.value)};`);
      }
      case "fill0": {
        const n = (s.arr as { name: string }).name;
        return this.line(`${this.a(s.arr)} = ${this.wtype(n)}();`);
      }
      case "call": return this.call(s);
      case "if": {
        const seen = this.inst.ifs.get(s)!;
        if (!seen.has("?") && seen.size === 1) {
          // the condition is the same at every visit (known when the kernel is built)
          const taken = seen.has("true") ? s.then : s.else;
          if (taken.length) this.line(`// (branch on ${this.a(s.cond)} decided when the kernel is built)`);
          return this.block(taken);
        }
        const thenLive = s.then.some((x) => this.inst.visited.has(x));
        const elseLive = s.else.some((x) => this.inst.visited.has(x));
        if (!thenLive && !elseLive) return;
        if (!thenLive) {
          this.line(`if (!${this.a(s.cond)}) {`);
          this.nested(s.else);
          return this.line("}");
        }
        this.line(`if (${this.a(s.cond)}) {`);
        this.nested(s.then);
        if (elseLive) {
          this.line("} else {");
          this.nested(s.else);
        }
        return this.line("}");
      }
      case "loop": {
        // a loop whose trip count the analysis could not follow gets a limit: float32 may not reach
        // a float64 stopping criterion, and a GPU must not spin forever
        const limit = !this.inst.bounded.has(s);
        const k = limit ? this.claim("trip") : "";
        if (limit) {
          this.declared.set(k, "u32");
          this.ctx.failed = true;
          this.line(`${k} = 0u;`);
        }
        this.line("loop {");
        this.ind++;
        this.block(s.pre);
        this.line(`if (!${this.a(s.cond)}) { break; }`);
        if (limit) this.line(`if (${k} == ${this.ctx.loopLimit}u) { jacc_failed = true; break; } ${k} += 1u;`);
        this.block(s.body);
        this.ind--;
        return this.line("}");
      }
      case "for": {
        const i = this.name(s.index);
        if (s.down) this.line(`for (${i} = ${this.num(s.to)} - 1.0; ${i} >= ${this.num(s.from)}; ${i} -= 1.0) {`);
        else this.line(`for (${i} = ${this.num(s.from)}; ${i} < ${this.num(s.to)}; ${i} += 1.0) {`);
        this.nested(s.body);
        return this.line("}");
      }
      case "push": {
        // (a boolean goes on the tape as 0 / 1, as JavaScript's Float64Array stores it)
        const isBool = s.a.k === "var" ? this.fn.vars.get(s.a.name)?.k === "bool" : typeof s.a.v === "boolean";
        const val = isBool ? `select(0.0, 1.0, ${this.a(s.a)})` : this.num(s.a);
        if (this.ctx.guarded) {
          this.ctx.failed = true;
          this.line(`if (jacc_sp < ${this.ctx.tapeCap}) { jacc_tape[jacc_sp] = ${val}; } else { jacc_failed = true; }`);
          return this.line(`jacc_sp += 1;`);
        }
        this.line(`jacc_tape[jacc_sp] = ${val};`);
        return this.line(`jacc_sp += 1;`);
      }
      case "settape": {
        const p = this.a(s.sp);
        if (!this.ctx.objLens.length) return this.line(`jacc_sp = ${p};`);
        this.line(`jacc_sp = ${p}.x;`);
        return this.ctx.objLens.forEach((_, k) => this.line(`jacc_osp${k} = ${p}.${"yzw"[k]};`));
      }
      case "pushobj": {
        // a copy of the vector (JavaScript keeps a reference; the generated code never writes into it afterwards)
        const k = this.ctx.objLens.indexOf(this.lenOf((s.a as { name: string }).name));
        this.line(`jacc_otape${k}[jacc_osp${k}] = ${this.a(s.a)};`);
        return this.line(`jacc_osp${k} += 1;`);
      }
      case "return": {
        if (!this.fn.results.length) return this.line("return;");
        if (this.resultStruct) return this.line(`return ${this.resultStruct}(${s.values.map((x, i) => this.value(x, this.fn.results[i])).join(", ")});`);
        return this.line(`return ${this.value(s.values[0], this.fn.results[0])};`);
      }
      case "comment":
        return this.line(`// ${safeText(s.text)}`);
      case "effect":
        this.fail("internal", `unexpected ${s.k}`);
    }
  }

  /** An atom as a value of type t (an undefined literal becomes a zero). */
  private value(x: Atom, t: Type): string {
    if (x.k === "lit" && x.v === undefined) return t.k === "bool" ? "false" : t.k === "num" ? "0.0" : "array<f32, 1>()";
    return t.k === "num" ? this.num(x) : this.a(x);
  }

  private let(s: Extract<Stmt, { k: "let" }>): void {
    const e = s.e;
    const dst = s.dst;
    const isVecDst = this.isVec(dst);
    if (e.k === "atom" && e.a.k === "lit" && e.a.v === undefined) {
      // undefined: only the flag changes
      if (!this.inst.undefVars.has(dst)) return;
      return this.line(`${this.defFlag(dst)} = false;`);
    }
    if (isVecDst && e.k === "ext" && this.extAlias.has(this.group.get(dst) ?? dst)) return;
    if (isVecDst && ((e.k === "atom" && e.a.k === "var") || e.k === "wrap" || e.k === "tdata")) {
      // the same storage (JS shares the object)
      const src = e.k === "atom" ? (e.a as { name: string }).name : e.k === "wrap" ? (e.data as { name: string }).name : (e.t as { name: string }).name;
      if ((this.group.get(src) ?? src) !== (this.group.get(dst) ?? dst)) this.fail("internal", "vector alias outside its group");
      if (this.inst.undefVars.has(dst)) this.line(`${this.defFlag(dst)} = ${this.inst.undefVars.has(src) ? this.defFlag(src) : "true"};`);
      if (dst !== src && this.name(dst) !== this.name(src)) this.fail("internal", "vector alias");
      return;
    }
    if (e.k === "pop") {
      this.line(`jacc_sp -= 1;`);
      const cell = this.ctx.guarded ? `jacc_tape[clamp(jacc_sp, 0, ${this.ctx.tapeCap - 1})]` : "jacc_tape[jacc_sp]";
      return this.line(`${this.name(dst)} = ${this.fn.vars.get(dst)?.k === "bool" ? `${cell} != 0.0` : cell};`);
    }
    if (e.k === "tape") {
      const pos = this.ctx.objLens.length ? `vec4<i32>(jacc_sp, ${[0, 1, 2].map((k) => (k < this.ctx.objLens.length ? `jacc_osp${k}` : "0")).join(", ")})` : "jacc_sp";
      return this.line(`${this.name(dst)} = ${pos};`);
    }
    if (e.k === "popobj") {
      const k = this.ctx.objLens.indexOf(this.lenOf(dst));
      this.line(`jacc_osp${k} -= 1;`);
      return this.line(`${this.name(dst)} = jacc_otape${k}[jacc_osp${k}];`);
    }
    const folded = this.inst.folded.get(s);
    if (folded && folded.size === 1 && !folded.has("?") && e.k === "prim") {
      this.line(`${this.name(dst)} = ${[...folded][0]}; // known when the kernel is built`);
      return;
    }
    const rhs = e.k === "atom" && e.a.k === "var" && this.pending.has(e.a.name) ? this.a(e.a, true) : this.expr(e, dst);
    this.line(`${this.name(dst)} = ${rhs};`);
    if (this.inst.undefVars.has(dst)) {
      const src = e.k === "atom" && e.a.k === "var" ? e.a.name : undefined;
      this.setDef(dst, src && this.inst.undefVars.has(src) ? this.defFlag(src) : true);
    }
  }

  private expr(e: Expr, dst: string): string {
    switch (e.k) {
      case "atom": {
        const t = this.fn.vars.get(dst);
        if (t?.k === "num" && !this.inst.tapeVars.has(dst)) return this.num(e.a);
        return this.a(e.a);
      }
      case "prim": return this.prim(e.op, e.args);
      case "load": return `${this.a(e.arr)}[${this.idx(e.index)}]`;
      case "len": return fmt(this.lenOf((e.arr as { name: string }).name));
      case "newvec": return `${this.wtype(dst)}()`;
      case "veclit": return `${this.wtype(dst)}(${e.items.length ? e.items.map((x) => this.num(x)).join(", ") : "0.0"})`;
      case "copyvec": return this.a(e.src);
      case "ext": {
        const n = this.ctx.extNames.get(e.text);
        if (!n) this.fail("internal", `captured ${e.text}`);
        return n;
      }
      default:
        this.fail("internal", `unexpected ${e.k}`);
    }
  }

  private prim(op: string, args: Atom[]): string {
    const x = args.map((a) => this.num(a));
    if (op in BINOP) {
      if (op === "eq" || op === "ne") {
        // comparisons with undefined (default parameters): known from the flags
        if (args.some((a) => a.k === "lit" && a.v === undefined)) return op === "eq" ? "false" : "true";
      }
      return `${x[0]} ${BINOP[op]} ${x[1]}`;
    }
    if (op in UNARY) {
      const f = UNARY[op];
      if (f.startsWith("jacc_")) this.helper(f);
      return `${f}(${x[0]})`;
    }
    switch (op) {
      case "neg": return `-${x[0]}`;
      // (WGSL computes in f32: rounding to f32 is the value itself)
      case "fround": return x[0];
      case "not": return `!${x[0]}`;
      case "mod": return `${this.helper("jacc_fmod")}(${x[0]}, ${x[1]})`;
      case "pow": {
        const y = args[1];
        if (y.k === "lit" && typeof y.v === "number") {
          // small integer exponents: products (exact as JS's x ** 2, and for negative bases)
          if (y.v === 1) return x[0];
          if (y.v === 2) return `${x[0]} * ${x[0]}`;
          if (y.v === 3) return `${x[0]} * ${x[0]} * ${x[0]}`;
          if (y.v === -1) return `1.0 / ${x[0]}`;
          if (y.v === -2) return `1.0 / (${x[0]} * ${x[0]})`;
          if (y.v === 0.5) return `${this.helper("jacc_pow")}(${x[0]}, 0.5)`;
        }
        return `${this.helper("jacc_pow")}(${x[0]}, ${x[1]})`;
      }
      case "atan2": return `${this.helper("jacc_atan2")}(${x[0]}, ${x[1]})`;
      case "max":
      case "min": {
        if (x.length === 0) return op === "max" ? "(-jacc_inf())" : "jacc_inf()";
        const h = this.helper(op === "max" ? "jacc_max" : "jacc_min");
        return x.slice(1).reduce((acc, y) => `${h}(${acc}, ${y})`, x.length === 1 ? `${h}(${x[0]}, ${x[0]})` : x[0]);
      }
      case "hypot": {
        if (x.length === 0) return "0.0";
        const h = this.helper("jacc_hypot");
        if (x.length === 1) return `${h}(${x[0]}, 0.0)`;
        return x.slice(1).reduce((acc, y) => `${h}(${acc}, ${y})`, x[0]);
      }
      case "select": return `select(${x[2]}, ${x[1]}, ${x[0]})`;
      case "isundef": {
        const a = args[0];
        if (a.k === "lit") return String(a.v === undefined);
        if (!this.inst.undefVars.has(a.name)) return "false";
        return `!${this.defFlag(a.name)}`;
      }
    }
    this.fail("unsupported", `primitive \`${op}\` has no WGSL form`);
  }

  private call(s: Extract<Stmt, { k: "call" }>): void {
    const key = this.inst.calls.get(s)!;
    const callee = this.ctx.insts.get(key)!;
    const ptrs = this.ctx.ptrParams.get(key) ?? new Set<number>();
    const roots: string[] = [];
    const args = s.args.map((a, i) => {
      const p = callee.fn.params[i];
      if (a.k === "lit" && a.v === undefined) return p.type.k === "bool" ? "false" : p.type.k === "num" ? "0.0" : "array<f32, 1>()";
      if (ptrs.has(i)) {
        if (a.k !== "var") this.fail("internal", "pointer to a literal");
        const rep = this.group.get(a.name) ?? a.name;
        if (roots.includes(rep)) this.fail("vector-alias", `the same vector passed twice to \`${callee.fn.source ?? callee.fn.name}\`, which writes into it`, s.loc);
        roots.push(rep);
        return this.ptr.has(rep) ? this.name(a.name) : `&${this.name(a.name)}`;
      }
      return p?.type.k === "num" ? this.num(a) : this.a(a);
    });
    const call = `${callee.wname}(${args.join(", ")})`;
    if (s.dsts.length === 0 || callee.fn.results.length === 0) return this.line(`${callee.fn.results.length ? "_ = " : ""}${call};`);
    if (callee.fn.results.length === 1) {
      this.line(`${this.name(s.dsts[0])} = ${call};`);
      this.setDef(s.dsts[0], true);
      return;
    }
    const tmp = this.claim(`${callee.wname}_r`);
    this.line(`let ${tmp} = ${call};`);
    s.dsts.forEach((d, i) => {
      this.line(`${this.name(d)} = ${tmp}.v${i};`);
      this.setDef(d, true);
    });
  }
}
