// `npm run demo`: compiles examples/scalar/*.ts and examples/tensor/*.ts with
// `jacc emit --target js` (the CLI's own code path) into .tmp/demo, imports the
// results and prints each derivative beside a finite-difference estimate.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { emitCommand } from "./emit.js";
import { asMatrix, fmt, isCheck, maxError, sideBySide } from "./demo-check.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const exampleDirs = ["examples/scalar", "examples/tensor"];
const outDir = ".tmp/demo";
const TOL = 1e-5;

function show(name: string, v: unknown): string {
  if (typeof v === "number") return `${name} = ${fmt(v)}`;
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return `${name} = [${v.map(fmt).join(", ")}]`;
  return `${name} = ${JSON.stringify(v)}`;
}

async function main(): Promise<number> {
  fs.rmSync(path.join(root, outDir), { recursive: true, force: true });
  for (const examples of exampleDirs) {
    console.log(`jacc demo: jacc emit ${examples} --out ${outDir} --target js`);
    const status = await emitCommand([examples, "--out", outDir, "--target", "js"], {
      cwd: root,
      out: (s) => process.stdout.write("  " + s),
      err: (s) => process.stderr.write(s),
    });
    if (status !== 0) return status;
  }

  let bad = 0;
  const order = ["tuple.ts", "robot-arm.ts", "rosenbrock.ts", "newton-sqrt.ts"];
  const rank = (f: string) => (order.includes(f) ? order.indexOf(f) : order.length);
  const files = exampleDirs.flatMap((examples) =>
    fs.readdirSync(path.join(root, examples)).filter((f) => f.endsWith(".ts")).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((file) => ({ examples, file })),
  );
  for (const { examples, file } of files) {
    const source = fs.readFileSync(path.join(root, examples, file), "utf8");
    const about = /^\/\/ (.*)/.exec(source)?.[1] ?? "";
    console.log(`\n■ ${file}: ${about}`);
    const js = path.join(root, outDir, examples, file.replace(/\.ts$/, ".js"));
    const mod = (await import(pathToFileURL(js).href)) as { main?: () => Record<string, unknown> };
    if (typeof mod.main !== "function") continue;
    for (const [name, v] of Object.entries(mod.main())) {
      if (!isCheck(v)) {
        console.log("  " + show(name, v));
        continue;
      }
      const { jac, fd } = asMatrix(v);
      const err = maxError(jac, fd);
      const ok = err < TOL;
      if (!ok) bad++;
      const verdict = `${ok ? "✓" : "✗"} max rel. difference ${err.toExponential(1)}`;
      if (jac.length === 1 && jac[0].length === 1) {
        console.log(`  ${name} = ${fmt(jac[0][0])}   finite differences ${fmt(fd[0][0])}   ${verdict}`);
        continue;
      }
      console.log(`  ${name}: ${verdict}`);
      if (v.quiet) continue;
      for (const l of sideBySide(jac, fd, [`jacc`, `finite differences`])) console.log("    " + l);
    }
  }
  console.log(bad ? `\n${bad} derivative(s) disagree with finite differences` : "\nall derivatives agree with finite differences");
  return bad ? 1 : 0;
}

// `npm run demo | head` closes the pipe early; that is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(0);
});

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
