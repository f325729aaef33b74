// `node --import jacc/register app.ts`: installs the loader hooks that compile
// TypeScript and jacc's markers on the fly.
import fs from "node:fs";
import { register } from "node:module";

register("./node-hooks.js", import.meta.url);

// A module jacc cannot compile, left uncaught: print jacc's diagnostic (file:line:col, code frame)
// and exit 1, instead of Node's banner and the loader thread's stack. The monitor runs before
// Node's own report and leaves every other error (and a caught failed import) to Node.
// (The name is node-hooks.ts's COMPILE_ERROR, not imported: that module loads the compiler, and
// this thread only needs the hooks registered.)
process.on("uncaughtExceptionMonitor", (err) => {
  if (typeof err !== "object" || err === null || (err as Error).name !== "JaccCompileError") return;
  fs.writeSync(2, `${err.message}\n`); // (synchronous: the process exits next)
  process.exit(1);
});
