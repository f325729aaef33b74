// Record and tuple arguments in the glue of a generated function (SPEC §3,
// pytrees): the generated function takes their leaves, read straight off the
// arguments (`a[0].v.x`) after one cheap test of their structure; arguments
// that fail it go through the runtime's adFlatten, which throws the TypeError
// naming the marker and the path (runtime/pytree.ts).
import { hasList, isRecordTree, type Tree } from "../ir/ir.js";

/**
 * The leaves of the arguments `args` (a JS array expression) as an argument
 * list; its first argument runs the test first. `trees` (a JS expression naming
 * the same trees) is what adFlatten is given.
 */
export function leafArgs(inTrees: Tree[], min: number, args: string, trees: string, label: string): string {
  // (an array of records is copied into one Float64Array of its numbers: adFlatten does that)
  if (inTrees.some(hasList)) return `...__jt.adFlatten(${args}, ${trees}, ${min}, ${JSON.stringify(label)})`;
  const paths: string[] = [];
  const tests: string[] = [`${args}.length >= ${min}`, `${args}.length <= ${inTrees.length}`];
  const walk = (t: Tree, at: string): void => {
    if (typeof t === "number") {
      paths[t] = at;
    } else if (Array.isArray(t)) {
      tests.push(`Array.isArray(${at})`, `${at}.length === ${t.length}`);
      t.forEach((x, i) => walk(x, `${at}[${i}]`));
    } else if (!isRecordTree(t)) {
      throw new Error("leafArgs: a list tree is flattened by adFlatten");
    } else {
      tests.push(`typeof ${at} === "object"`, `${at} !== null`, ...t.keys.map((k) => `${JSON.stringify(k)} in ${at}`));
      t.keys.forEach((k, i) => walk(t.items[i], `${at}[${JSON.stringify(k)}]`));
    }
  };
  inTrees.forEach((t, i) => walk(t, `${args}[${i}]`));
  const check = `(${tests.join(" && ")}) || __jt.adFlatten(${args}, ${trees}, ${min}, ${JSON.stringify(label)})`;
  return [`(${check}, ${paths[0]})`, ...paths.slice(1)].join(", ");
}
