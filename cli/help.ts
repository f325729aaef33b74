// Help texts, one per command; `jacc <command> --help` prints them to stdout.
export const HELP: Record<string, string> = {
  top: `jacc - ahead-of-time automatic differentiation for TypeScript

Usage:
  jacc emit <files or globs...> [--out DIR] [--target ts|js] [--strategy MODE] [--with-checks] [--watch]
  jacc check <files or globs...>
  jacc explain <file> <name>

Commands:
  emit      write derivative modules (markers replaced by generated code)
  check     report diagnostics only; nothing is written
  explain   show a marker's generated source, IR and static sparsity

Options:
  -h, --help     show help (also after a command: jacc emit --help)
  -v, --version  print the version

Exit status: 0 ok, 1 compile errors, 2 bad command line.
Diagnostics are coloured on a colour terminal; NO_COLOR=1 turns colours off,
FORCE_COLOR=1 turns them on (also on a pipe).
`,
  emit: `Usage: jacc emit <files or globs...> [options]

Compiles each module: markers (jacobian, jacrev, jacfwd, hessian, grad, vjp,
jvp) are replaced by generated derivative code. Outputs mirror the inputs'
paths relative to the current directory (or to the inputs' common directory
when they lie outside it). Modules without markers are copied unchanged
(transpiled for --target js). Inputs are never overwritten; each output is
written atomically. A module with tensor code also gets its WGSL compute
shaders (WebGPU), one file per kernel beside it: name.<kernel>.wgsl.
Globs (quote them): * ? ** {ts,tsx} [ab], and !glob to leave files out;
node_modules, dot-directories, .d.ts files and what the current directory's
.gitignore or an --ignore rule names are skipped (a file named literally is
always taken). A directory stands for the TypeScript files in it.

Options:
  -o, --out DIR        output directory (default: jacc-out)
  -t, --target ts|js   .ts with types (default) or ES-module .js
  --strategy MODE      default for jacobian markers without a strategy option:
                       reverse-mode (default) or forward-mode
  -w, --watch          after the first run, recompile a module whenever it or a
                       module it imports changes (Ctrl-C to stop); on a pipe,
                       one summary line per rebuild
  --ignore RULE        leave out files a .gitignore-style rule names
                       (repeatable), as well as those .gitignore names
  --with-checks        also write <name>.check.ts (.check.js) next to each
                       derivative module: it compares every exported
                       grad/jacrev/jacfwd/hessian of an exported function
                       with finite differences at editable sample inputs
                       (run: node m.check.js, or node --import jacc/register
                       m.check.ts); exit status 1 on a mismatch
  -h, --help           show this help

Exit status: 1 if any module failed (its diagnostics go to stderr, nothing is
written for it; the other modules are still written).
`,
  check: `Usage: jacc check <files or globs...>

Compiles each module and prints its diagnostics (file:line:col, code frame)
and a summary. Nothing is written. Inputs as for jacc emit.

Options:
  --ignore RULE   leave out files a .gitignore-style rule names (repeatable)
  -h, --help      show this help

Exit status: 1 if any error was reported, 0 otherwise.
`,
  explain: `Usage: jacc explain <file> <name> [--ascii]

For each marker in <file> whose function is named <name> (or whose generated
function's name contains <name>), prints the generated derivative source, the
IR, the Jacobian's static sparsity pattern (rows: outputs, columns: inputs)
and the WGSL shaders, if any.

Options:
  --ascii      draw the sparsity grid with x and . instead of block characters
  -h, --help   show this help

Exit status: 1 if the module has errors or no marker matches <name>.
`,
};
