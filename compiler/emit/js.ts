// IR → JavaScript / TypeScript text. No AD logic lives here: one IR statement
// becomes one line, variables keep their IR names (x, dx, x_bar), and a comment
// points at the source line each block came from. The tape is a growable
// Float64Array (numbers) plus an array (vectors), emitted once per module.
import { type Atom, type Dim, type Expr, type Fn, leavesOf, type Stmt, stmtReads, type Type, userName, walk } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";
import { effects } from "../rules/tensor.js";
import { safeText } from "./text.js";

export interface EmitOptions { ts: boolean; file: string }

export const RT = {
  tape: "__jaccTape",
  sp: "__jaccSp",
  objs: "__jaccObjs",
  osp: "__jaccOsp",
  grow: "__jaccGrow",
  setTape: "__jaccSetTape",
  wrap: "__jaccWrap",
  tensor: "__JaccTensor",
  runtime: "__jt",
};

/**
 * The module-level helpers the rest of the module (`rest`: the user's code with markers replaced,
 * and the generated code) uses, with those they use in turn, placed after the imports. Only
 * those: TypeScript's noUnusedLocals rejects a helper nothing calls.
 */
export function emitPrelude(o: EmitOptions, rest: string): string {
  const any = o.ts ? ": any" : "";
  const num = o.ts ? ": number" : "";
  const lines = [
    `// ---- jacc: the tape of the reverse sweeps (numbers, and vectors by reference)`,
    `let ${RT.tape} = new Float64Array(1024);`,
    `let ${RT.sp} = 0;`,
    `const ${RT.objs}${o.ts ? ": any[]" : ""} = [];`,
    `let ${RT.osp} = 0; // vectors stay in place when popped, so a reverse sweep can be replayed`,
    `function ${RT.grow}()${o.ts ? ": void" : ""} {`,
    `  const grown = new Float64Array(${RT.tape}.length * 2);`,
    `  grown.set(${RT.tape});`,
    `  ${RT.tape} = grown;`,
    `}`,
    `function ${RT.setTape}(at${num})${o.ts ? ": void" : ""} {`,
    `  ${RT.sp} = at % 4294967296;`,
    `  ${RT.osp} = (at - ${RT.sp}) / 4294967296;`,
    `}`,
  ];
  lines.push(
    `function ${RT.wrap}(data${any}, shape${o.ts ? ": number[]" : ""})${any} {`,
    `  return new ${RT.tensor}(data instanceof Float64Array || data instanceof Float32Array ? data : Float64Array.from(data), shape);`,
    `}`,
    `// a Tensor's storage, or the vector itself`,
    `function __jaccVecOf(x${any})${any} {`,
    `  return x instanceof ${RT.tensor} ? x.data : x;`,
    `}`,
    `// what a wrong argument was, for the TypeError of a generated function (no reference to the`,
    `// Tensor class: a bundle of number-only derivatives must not pull in the runtime)`,
    `function __jaccKind(v${any})${o.ts ? ": string" : ""} {`,
    `  if (v && typeof v === "object" && Array.isArray(v.shape) && "dtype" in v) return \`a Tensor of shape [\${v.shape.join(", ")}]\`;`,
    `  if (Array.isArray(v)) return \`an array of \${v.length}\`;`,
    `  if (ArrayBuffer.isView(v)) return "a typed array";`,
    `  return typeof v === "string" ? \`the string \${JSON.stringify(v)}\` : v === null || v === undefined ? String(v) : \`a \${typeof v}\`;`,
    `}`,
    `// a number[] argument: an array, a typed array or a 1-D Tensor (its storage); an array's`,
    `// elements are checked in one pass ("1" is an error, not coerced; typed arrays hold numbers)`,
    `function __jaccVecArg(v${any}, label${o.ts ? ": string" : ""})${any} {`,
    `  if (Array.isArray(v)) {`,
    `    for (let i = 0; i < v.length; i++) if (typeof v[i] !== "number") throw new TypeError(\`\${label} must be a number[], element \${i} is \${__jaccKind(v[i])}\`);`,
    `    return v;`,
    `  }`,
    `  if (ArrayBuffer.isView(v)) return v;`,
    `  if (v && typeof v === "object" && Array.isArray(v.shape) && v.shape.length === 1 && v.device === "cpu" && ArrayBuffer.isView(v.data)) return v.data;`,
    `  throw new TypeError(\`\${label} must be a number[] (an array, a typed array or a 1-D Tensor), got \${__jaccKind(v)}\`);`,
    `}`,
    `// a Jacobian block's storage (n = the shape's product): one too big to allocate is a RangeError naming`,
    `// the marker, the shape and the bytes, before allocating (runtime/dtype.ts allocJacobian for Tensors)`,
    `function __jaccJac(n${num}, f32${o.ts ? ": boolean" : ""}, label${o.ts ? ": string" : ""}, shape${o.ts ? ": number[]" : ""})${any} {`,
    `  if (n <= 4294967296) {`,
    `    try {`,
    `      return f32 ? new Float32Array(n) : new Float64Array(n);`,
    `    } catch (err) {`,
    `      if (!(err instanceof RangeError)) throw err;`,
    `    }`,
    `  }`,
    `  throw new RangeError(\`\${label}: the Jacobian of shape [\${shape.join(", ")}] needs \${n * (f32 ? 4 : 8)} bytes (\${f32 ? "float32" : "float64"}), more than can be allocated\`);`,
    `}`,
    `// the tangent of a vector output, as a Tensor (SPEC §3)`,
    `function __jaccTangent(d${any})${any} {`,
    `  return d instanceof ${RT.tensor} ? d : ${RT.wrap}(d, [d.length]);`,
    `}`,
  );
  // one block per declaration: a `let`/`const` line, or a function (its comment lines before it)
  const blocks: { name: string; text: string }[] = [];
  let pending: string[] = [];
  for (const l of lines) {
    pending.push(l);
    const m = /^(?:let|const|function) ([\w$]+)/.exec(l);
    if (m) blocks.push({ name: m[1], text: "" });
    if (m ? !l.startsWith("function") : l === "}") (blocks[blocks.length - 1].text = pending.join("\n")), (pending = []);
  }
  const used = (name: string, text: string) => new RegExp(`(?<![\\w$])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(text);
  const keep = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    const inUse = rest + blocks.filter((b) => keep.has(b.name)).map((b) => b.text).join("\n");
    for (const b of blocks) if (!keep.has(b.name) && used(b.name, inUse)) (keep.add(b.name), (grew = true));
  }
  const text = blocks.filter((b) => keep.has(b.name)).map((b) => b.text).join("\n");
  return text ? text + "\n" : "";
}

function fmtNum(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "(-Infinity)";
  if (Object.is(x, -0)) return "(-0)";
  if (x < 0) return `(${x})`;
  return String(x);
}

export function atom(a: Atom): string {
  if (a.k === "var") return a.name;
  if (a.v === undefined) return "undefined";
  if (typeof a.v === "boolean") return String(a.v);
  return fmtNum(a.v);
}

/** A local's TypeScript type: the IR's, where TypeScript can see it (a vector may be an array or a typed array). */
function tsType(t: Type | undefined): string {
  return t?.k === "num" ? "number" : t?.k === "bool" ? "boolean" : "any";
}

const ASSIGN = /^(\s*)([\w$]+) = (.*);$/;
const DESTRUCTURE = /^(\s*)\[([\w$, ]+)\] = (.*);$/;
const NAMES = /[A-Za-z_$][\w$]*/g;
/** An expression without calls, allocation or assignment (Math's functions are pure): dropping it changes nothing. */
const pure = (e: string) => !/[\w$]\s*\(|\bnew\b|\+\+|--|(^|[^=!<>])=($|[^=])/.test(e.replace(/\bMath\.\w+\(/g, "("));

/**
 * The function body's lines without stores to locals nothing reads (TypeScript's noUnusedLocals):
 * a dead `x = e;` goes when e is pure and stays as `e;` otherwise, a dead element of `[a, b] = f()`
 * becomes a hole. Liveness is over the text, to a fixed point (`s = s + t` alone keeps nothing alive).
 */
function withoutDeadStores(body: string[], locals: Set<string>): { lines: string[]; live: Set<string> } {
  const parsed = body.map((text) => {
    const d = DESTRUCTURE.exec(text);
    if (d) return { text, indent: d[1], targets: d[2].split(", "), e: d[3] };
    const a = ASSIGN.exec(text);
    if (a && locals.has(a[2])) return { text, indent: a[1], targets: [a[2]], e: a[3] };
    return { text, e: /^\s*\/\//.test(text) ? "" : text };
  });
  // A line counts once it is needed: it stores nothing, stores into a non-local, is impure, or stores a live
  // local. Its reads are then live, which makes the lines storing them needed (a worklist, each line once).
  const live = new Set<string>();
  const storing = new Map<string, number[]>();
  const counted = new Array<boolean>(parsed.length).fill(false);
  const work: number[] = [];
  parsed.forEach((p, i) => {
    if (!p.targets || !pure(p.e) || p.targets.some((x) => !locals.has(x))) work.push(i);
    else for (const x of p.targets) storing.get(x)?.push(i) ?? storing.set(x, [i]);
  });
  while (work.length) {
    const i = work.pop()!;
    if (counted[i]) continue;
    counted[i] = true;
    // (names inside a "string" are text: a label such as "jacfwd(r)" reads nothing)
    for (const x of parsed[i].e.replace(/"(?:[^"\\]|\\.)*"/g, '""').match(NAMES) ?? []) {
      if (!locals.has(x) || live.has(x)) continue;
      live.add(x);
      work.push(...(storing.get(x) ?? []));
    }
  }
  // (a target that is not a local (a parameter) counts as read)
  const isLive = (x: string) => live.has(x) || !locals.has(x);
  const lines: string[] = [];
  for (const p of parsed) {
    if (!p.targets || p.targets.every(isLive)) lines.push(p.text);
    else if (p.targets.some(isLive)) lines.push(`${p.indent}[${p.targets.map((x) => (isLive(x) ? x : "")).join(", ")}] = ${p.e};`);
    else if (!pure(p.e)) lines.push(`${p.indent}${p.e};`);
  }
  return { lines, live };
}

function tsInit(t: Type | undefined): string {
  return t?.k === "num" ? " = 0" : t?.k === "bool" ? " = false" : "";
}

/** `let t = e` whose only read is the next statement of the same block (not a loop header). */
function inlinable(f: Fn): Set<Stmt> {
  const reads = new Map<string, number>();
  const defs = new Map<string, number>();
  walk(f.body, (s) => {
    for (const a of stmtReads(s)) if (a.k === "var") reads.set(a.name, (reads.get(a.name) ?? 0) + 1);
    if (s.k === "let") defs.set(s.dst, (defs.get(s.dst) ?? 0) + 1);
    if (s.k === "call") s.dsts.forEach((d) => defs.set(d, 9));
    if (s.k === "for") defs.set(s.index, 9);
  });
  const params = new Set(f.params.map((p) => p.name));
  const out = new Set<Stmt>();
  const SIDE = new Set(["pop", "popobj", "tape"]);
  const visit = (list: Stmt[]) => {
    list.forEach((s, i) => {
      if (s.k === "if") (visit(s.then), visit(s.else));
      if (s.k === "loop") (visit(s.pre), visit(s.body));
      if (s.k === "for") visit(s.body);
      if (s.k !== "let" || SIDE.has(s.e.k) || params.has(s.dst) || defs.get(s.dst) !== 1 || reads.get(s.dst) !== 1) return;
      const next = list[i + 1];
      if (!next || next.k === "for" || next.k === "loop" || next.k === "push" || next.k === "pushobj") return;
      if (stmtReads(next).some((a) => a.k === "var" && a.name === s.dst)) out.add(s);
    });
  };
  visit(f.body);
  return out;
}


export class JsEmitter {
  private lines: string[] = [];
  private indent = 1;
  private lastLine = -1;
  /** the generated code calls jacc's runtime ops (import * as __jt from "jacc/internal") */
  usesRuntime = false;
  constructor(private o: EmitOptions) {}

  fn(f: Fn): string {
    this.lines = [];
    this.indent = 1;
    this.lastLine = -1;
    this.inline = inlinable(f);
    this.pending.clear();
    const params = new Set(f.params.map((p) => p.name));
    const inlined = new Set([...this.inline].map((s) => (s as { dst: string }).dst));
    const locals = [...f.vars.keys()].filter((n) => !params.has(n) && !inlined.has(n) && usedIn(f.body, n));
    const where = f.loc ? ` (${safeText(`${f.source ?? f.name} at ${shortFile(f.loc.file)}:${f.loc.line}`)})` : "";
    const caps = this.capsOf(f.name);
    const head = `function ${f.name}(${[...caps.map((c) => (this.o.ts ? `${c}: any` : c)), ...f.params.map((p) => (this.o.ts ? `${p.name}: any` : p.name))].join(", ")})${this.o.ts ? ": any" : ""} {`;
    const out = [`// generated by jacc${where}`, head];
    // numbers start at 0 so that TypeScript sees them assigned (a value pushed before its first write is never read back)
    // (numbers start at 0 in JavaScript too: V8 then keeps them as plain doubles)
    const declare = (live: Set<string>) => {
      const names = locals.filter((n) => live.has(n));
      return names.length ? [`  let ${names.map((n) => `${n}${this.o.ts ? `: ${tsType(f.vars.get(n))}` : ""}${tsInit(f.vars.get(n))}`).join(", ")};`] : [];
    };
    if (f.arity) {
      const { min, max } = f.arity;
      const label = safeText(f.arity.label); // (inside template literals)
      const want = min === max ? `${min}` : `${min} to ${max}`;
      const n = caps.length ? `arguments.length - ${caps.length}` : "arguments.length";
      out.push(`  if (${n} < ${min} || ${n} > ${max}) throw new TypeError(\`${label}: expected ${want} argument${max === 1 ? "" : "s"}, got \${${n}}\`);`);
      // the kinds: a wrong one is a TypeError naming the marker and the argument, not NaN or a failure deep inside
      f.params.forEach((p, i) => {
        // (the user's names, not the mangled ones: `θ$`, not `_$`)
        // (a record's leaf is named by its path in its argument: argument 1 (`p.W1`))
        const arg = f.inTrees?.findIndex((t) => leavesOf(t).includes(i)) ?? i;
        const what = `${label}: argument ${arg + 1} (\\\`${safeText(userName(p))}\\\`)`;
        const omittable = i >= min || !!f.arity!.omittable?.[i];
        const absent = omittable ? `${p.name} !== undefined && ` : "";
        if (p.type.k === "num") out.push(`  if (${absent}typeof ${p.name} !== "number") throw new TypeError(\`${what} must be a number, got \${__jaccKind(${p.name})}\`);`);
        else if (p.type.k === "vec") out.push(`  ${omittable ? `if (${p.name} !== undefined) ` : ""}${p.name} = __jaccVecArg(${p.name}, \`${what}\`);`);
        else if (p.type.k === "tensor") out.push(`  if (${absent}!(${p.name} instanceof ${RT.tensor})) throw new TypeError(\`${what} must be a Tensor, got \${__jaccKind(${p.name})}\`);`);
      });
    }
    this.block(f.body, f);
    const { lines, live } = withoutDeadStores(this.lines, new Set(locals));
    out.splice(2, 0, ...declare(live));
    out.push(...lines, "}");
    return out.join("\n");
  }

  private line(s: string): void {
    this.lines.push("  ".repeat(this.indent) + s);
  }

  private block(list: Stmt[], f: Fn): void {
    for (const s of list) {
      if (s.k === "let" && this.inline.has(s)) this.pending.set(s.dst, this.expr(s.e, f));
      else this.stmt(s, f);
    }
  }

  /** single-use temporaries emitted inside the statement that reads them */
  private inline = new Set<Stmt>();
  private pending = new Map<string, string>();

  /** An atom as written in an expression: an inlined temporary becomes its (parenthesised) expression. */
  private ref(a: Atom, bare = false): string {
    if (a.k === "var") {
      const e = this.pending.get(a.name);
      if (e !== undefined) {
        this.pending.delete(a.name);
        return bare || /^[\w$.]+$|^[\w$.]+\[[\w$.]+\]$|^(Math|__jt)\.\w+\([^()]*\)$/.test(e) ? e : `(${e})`;
      }
    }
    return atom(a);
  }

  private nested(list: Stmt[], f: Fn): void {
    this.indent++;
    this.block(list, f);
    this.indent--;
  }

  private stmt(s: Stmt, f: Fn): void {
    const loc = "loc" in s ? s.loc : undefined;
    if (loc && loc.line !== this.lastLine && (s.k === "if" || s.k === "loop" || s.k === "let" || s.k === "store" || s.k === "call")) {
      this.lastLine = loc.line;
      this.line(`// ${safeText(shortFile(loc.file))}:${loc.line}`);
    }
    switch (s.k) {
      case "let": {
        // a copy of an inlined temporary needs no parentheses
        const whole = s.e.k === "atom" && s.e.a.k === "var" ? this.pending.get(s.e.a.name) : undefined;
        if (whole !== undefined) this.pending.delete(((s.e as { a: Atom }).a as { name: string }).name);
        // (a condition comes back from the number tape as 0 or 1: TypeScript wants it a boolean again)
        const e = whole ?? this.expr(s.e, f);
        return this.line(`${s.dst} = ${this.o.ts && s.e.k === "pop" && f.vars.get(s.dst)?.k === "bool" ? `!!${e}` : e};`);
      }
      case "store":
        return this.line(`${this.ref(s.arr)}[${this.ref(s.index, true)}] ${s.accum ? "+=" : "="} ${this.ref(s.value, true)};`);
      case "call": {
        const callee = `${s.fn}(${[...this.capsOf(s.fn), ...s.args.map((a) => this.ref(a, true))].join(", ")})`;
        if (s.dsts.length === 0) return this.line(`${callee};`);
        return this.line(s.dsts.length === 1 && !this.tupleOf(s.fn) ? `${s.dsts[0]} = ${callee};` : `[${s.dsts.join(", ")}] = ${callee};`);
      }
      case "if":
        if (!s.then.length && !s.else.length) return;
        if (!s.then.length) {
          this.line(`if (!${this.ref(s.cond)}) {`);
          this.nested(s.else, f);
          return this.line("}");
        }
        this.line(`if (${this.ref(s.cond)}) {`);
        this.nested(s.then, f);
        if (s.else.length) {
          this.line("} else {");
          this.nested(s.else, f);
        }
        return this.line("}");
      case "loop":
        if (!s.pre.length) {
          this.line(`while (${this.ref(s.cond)}) {`);
        } else {
          this.line("for (;;) {");
          this.nested(s.pre, f);
          this.line(`  if (!${this.ref(s.cond)}) break;`);
        }
        this.nested(s.body, f);
        return this.line("}");
      case "for": {
        const i = s.index;
        if (s.down) this.line(`for (${i} = ${this.ref(s.to)} - 1; ${i} >= ${this.ref(s.from)}; ${i}--) {`);
        else this.line(`for (${i} = ${this.ref(s.from)}; ${i} < ${this.ref(s.to)}; ${i}++) {`);
        this.nested(s.body, f);
        return this.line("}");
      }
      case "push":
        this.line(`if (${RT.sp} === ${RT.tape}.length) ${RT.grow}();`);
        return this.line(`${RT.tape}[${RT.sp}++] = ${this.o.ts && s.a.k === "var" && f.vars.get(s.a.name)?.k === "bool" ? "+" : ""}${this.ref(s.a)};`);
      case "pushobj":
        return this.line(`${RT.objs}[${RT.osp}++] = ${this.ref(s.a)};`);
      case "settape":
        return this.line(`${RT.setTape}(${this.ref(s.sp)});`);
      case "fill0":
        return this.line(`${this.ref(s.arr)}.fill(0);`);
      case "effect":
        this.usesRuntime = true;
        return this.line(effects[s.op].js(s.args.map((a) => this.ref(a)), s.attrs));
      case "return":
        return this.line(`return ${s.values.length === 1 && !f.tupleResult ? this.ref(s.values[0], true) : `[${s.values.map((a) => this.ref(a, true)).join(", ")}]`};`);
      case "comment":
        return this.line(`// ${safeText(s.text)}`);
    }
  }

  tupleOf: (fn: string) => boolean = () => true;
  /** captured variables of enclosing scopes a function needs, passed as leading parameters */
  capsOf: (fn: string) => string[] = () => [];

  private expr(e: Expr, f: Fn): string {
    switch (e.k) {
      case "atom": return this.ref(e.a);
      case "prim": {
        const r = ruleOf(e.op);
        if (r.tensor) this.usesRuntime = true;
        return r.js(e.args.map((a) => this.ref(a)), e.attrs ?? []);
      }
      case "load": return e.orZero ? `(${this.ref(e.arr)}[${this.ref(e.index, true)}] ?? 0)` : `${this.ref(e.arr)}[${this.ref(e.index, true)}]`;
      case "len": return `${this.ref(e.arr)}.length`;
      case "newvec":
        if (e.jac) return `__jaccJac(${this.ref(e.len, true)}, ${!!e.f32}, ${JSON.stringify(e.jac.label)}, [${e.jac.shape.map((a) => this.ref(a, true)).join(", ")}])`;
        if (e.plain) return `new Array(${this.ref(e.len)}).fill(0)`;
        return `new ${e.f32 ? "Float32Array" : "Float64Array"}(${this.ref(e.len)})`;
      case "veclit": return e.f32 ? `Float32Array.of(${e.items.map((a) => this.ref(a)).join(", ")})` : `[${e.items.map((a) => this.ref(a)).join(", ")}]`;
      case "copyvec": return `Float64Array.from(${this.ref(e.src)})`;
      case "ext": return e.text;
      case "pop": return `${RT.tape}[--${RT.sp}]`;
      case "popobj": return `${RT.objs}[--${RT.osp}]`;
      case "tape": return `${RT.sp} + ${RT.osp} * 4294967296`;
      case "tdata": return `${this.ref(e.t)}.data`;
      case "wrap": {
        const shape = `[${e.dims.map((d) => this.dim(d, f)).filter(Boolean).join(", ")}]`;
        if (e.nums) this.usesRuntime = true;
        return e.nums ? `__jt.adWrapNums(${this.ref(e.data, true)}, ${shape})` : `${RT.wrap}(${this.ref(e.data, true)}, ${shape})`;
      }
    }
  }

  private dim(d: Dim, f: Fn): string {
    if ("size" in d) return this.ref(d.size, true);
    const a = d.shapeOf;
    const t = a.k === "var" ? f.vars.get(a.name) : undefined;
    if (!t || t.k === "num" || t.k === "bool") return "";
    if (t.k === "tensor") return `...${this.ref(a)}.shape`;
    return `${this.ref(a)}.length`;
  }
}

const usedCache = new WeakMap<Stmt[], Set<string>>();
/** Whether a variable appears in a body (declared locals are only those used). */
function usedIn(body: Stmt[], name: string): boolean {
  let used = usedCache.get(body);
  if (!used) {
    used = new Set();
    const u = used;
    const add = (a: Atom) => a.k === "var" && u.add(a.name);
    walk(body, (s) => {
      if (s.k === "let") u.add(s.dst);
      if (s.k === "call") s.dsts.forEach((d) => u.add(d));
      if (s.k === "for") u.add(s.index);
      stmtReads(s).forEach(add);
    });
    usedCache.set(body, used);
  }
  return used.has(name);
}


/**
 * A whole generated text (a WGSL shader) for inside a template literal, as it is, line breaks
 * included: a backslash, a backquote and every `$` escaped (so that no `${` can form). The user's
 * text within it (names, file names) went through safeText (./text.ts) already.
 */
export function templateText(s: string): string {
  return s.replace(/[\\`$]/g, "\\$&");
}

export function shortFile(f: string): string {
  return f.split(/[\\/]/).pop() ?? f;
}
