// Dev aid: node dist/test/util/dump-wgsl.js file.ts [lengths JSON] [externals JSON]: the scalar kernel of every marker, checked by Dawn
import { simplifiedFns } from "../../compiler/opt/simplify.js";
import fs from "node:fs";
import { irOfModule } from "./ir-of.js";
import { scalarKernel } from "./scalar-kernel.js";
import { gpuDevice, shaderErrors } from "./wgsl-device.js";

const file = process.argv[2];
const lengths = process.argv[3] ? JSON.parse(process.argv[3]) : undefined;
const externals = process.argv[4] ? JSON.parse(process.argv[4]) : undefined;
const m = irOfModule(fs.readFileSync(file, "utf8"), file);
const { device } = await gpuDevice();
for (const mk of m.markers) {
  console.log(`==== ${mk.text}`);
  try {
    const k = scalarKernel(simplifiedFns(m.fns), mk.fn, { lengths, externals });
    console.log(k.code);
    console.log(JSON.stringify(k.signature));
    if (device) console.log("DAWN:", (await shaderErrors(device, k.code)) || "ok");
  } catch (e) {
    console.log("ERROR", (e as Error).message, (e as Error).stack);
  }
}
process.exit(0);
