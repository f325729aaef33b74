// The page: computes three Jacobians with jacc's compiled markers, draws each
// as a heatmap beside its sparsity pattern and timing, names the WebGPU adapter
// (and whether it is a software one), and writes the numbers
// into <pre id="results"> (JSON) and data-done="true" on <body> when finished,
// so that a test can read them.
import {
  ARM_Q, armJacobian, batchJacobian, batchStates, batchStep, BATCH, forwardKinematics, GRID, mlp, MLP_HIDDEN, MLP_IN, MLP_OUT,
  MLP_PRUNED, mlpJacobian, mlpParams,
} from "./programs.js";
import { chooseDevice, place, readBack, type AdapterLabel, type DeviceChoice, type DeviceName } from "./device.js";
import { JacobianView, type Matrix } from "./heatmap.js";
import { armRows, mountArmView } from "./arm-view.js";
import { formatUs, timeAsync, timeSync, type Timing } from "./timing.js";

interface Panel {
  id: string;
  title: string;
  what: string;
  device: DeviceName;
  shape: number[];
  /** one matrix, or one per batch row */
  tiles: Matrix[];
  jacobian: Timing;
  primal: Timing;
}

/** The robot arm is number code: it always runs as plain JavaScript numbers. */
function armPanel(): Panel {
  return {
    id: "arm",
    title: "Robot arm: jacrev(forwardKinematics)",
    what: `d[x, y] / dq of a ${ARM_Q.length}-link planar arm at q = [${ARM_Q.join(", ")}] (number[] → [x, y])`,
    device: "cpu",
    shape: [2, ARM_Q.length],
    tiles: [armRows(ARM_Q)],
    jacobian: timeSync(() => armJacobian(ARM_Q)),
    primal: timeSync(() => forwardKinematics(ARM_Q)),
  };
}

async function mlpPanel(device: DeviceName): Promise<Panel> {
  const p = mlpParams();
  const [x, W1, b1, W2, b2] = await Promise.all([p.x, p.W1, p.b1, p.W2, p.b2].map((t) => place(t, device)));
  const run = async () => readBack(mlpJacobian(x, W1, b1, W2, b2));
  return {
    id: "mlp",
    title: "MLP input Jacobian: jacrev(mlp)",
    what: `dy/dx of a ${MLP_IN} → ${MLP_HIDDEN} → ${MLP_OUT} tanh network; the last ${MLP_PRUNED} inputs are pruned (zero weights)`,
    device,
    shape: [MLP_OUT, MLP_IN],
    tiles: [(await run()) as Matrix],
    jacobian: device === "cpu" ? timeSync(() => mlpJacobian(x, W1, b1, W2, b2)) : await timeAsync(run),
    primal: device === "cpu" ? timeSync(() => mlp(x, W1, b1, W2, b2)) : await timeAsync(async () => readBack(mlp(x, W1, b1, W2, b2))),
  };
}

async function batchPanel(device: DeviceName): Promise<Panel> {
  const U = await place(batchStates(), device);
  const run = async () => readBack(batchJacobian(U));
  return {
    id: "batch",
    title: "Per-sample Jacobians: vmap(jacrev(reactionDiffusionStep))",
    what: `one Euler step of a reaction–diffusion equation on ${GRID} points, for a batch of ${BATCH} states: ${BATCH} tridiagonal Jacobians`,
    device,
    shape: [BATCH, GRID - 2, GRID],
    tiles: (await run()) as Matrix[],
    jacobian: device === "cpu" ? timeSync(() => batchJacobian(U)) : await timeAsync(run),
    primal: device === "cpu" ? timeSync(() => batchStep(U)) : await timeAsync(async () => readBack(batchStep(U))),
  };
}

/** The tensor programs on the chosen device; on the CPU again if the device run fails. */
async function tensorPanels(choice: DeviceChoice): Promise<Panel[]> {
  try {
    return [await mlpPanel(choice.device), await batchPanel(choice.device)];
  } catch (e) {
    if (choice.device === "cpu") throw e;
    choice.why = `the WebGPU run failed (${e instanceof Error ? e.message : String(e)}); ran on the CPU`;
    choice.device = "cpu";
    return [await mlpPanel("cpu"), await batchPanel("cpu")];
  }
}

function render(panel: Panel, adapter: AdapterLabel | undefined): HTMLElement {
  const section = document.createElement("section");
  section.id = panel.id;
  const view = new JacobianView();
  const drawn = view.draw(panel.tiles);
  const ratio = panel.jacobian.us / panel.primal.us;
  section.innerHTML = `<h2></h2><p class="what"></p><div class="maps"></div><p class="stats"></p>`;
  section.querySelector("h2")!.textContent = panel.title;
  section.querySelector(".what")!.textContent = panel.what;
  section.querySelector(".maps")!.append(...view.figures());
  section.querySelector(".maps")!.after(view.readout);
  // the timings say where they ran: a software adapter's WebGPU is the CPU's work
  const where = panel.device === "webgpu" && adapter?.software ? "webgpu (software adapter)" : panel.device;
  section.querySelector(".stats")!.textContent =
    `shape [${panel.shape.join(", ")}] · ${drawn.nonzero} of ${drawn.cells} nonzero · max |J| ${drawn.maxAbs.toPrecision(3)} · ` +
    `${formatUs(panel.jacobian.us)} per Jacobian (${panel.jacobian.calls} calls; primal ${formatUs(panel.primal.us)}, ×${ratio.toFixed(1)}) · ${where}`;
  if (panel.id === "arm") mountArmView(section, view, ARM_Q);
  return section;
}

/** The line over the panels: where the tensor programs ran, on which adapter, and whether it is a software one. */
function deviceLine(choice: DeviceChoice): void {
  const line = document.getElementById("device")!;
  line.textContent = `Tensor programs ran on: ${choice.device} (${choice.why})`;
  const badge = document.createElement("p");
  badge.id = "adapter";
  if (choice.adapter) {
    badge.className = choice.adapter.software ? "software" : "hardware";
    badge.textContent = `Adapter: ${choice.adapter.name} · ${choice.adapter.software ? "software (CPU emulation of a GPU: not GPU timings)" : "hardware"}`;
  } else {
    badge.textContent = "Adapter: none";
  }
  line.after(badge);
}

async function main(): Promise<void> {
  const results = document.getElementById("results")!;
  try {
    const choice = await chooseDevice();
    const panels = [armPanel(), ...(await tensorPanels(choice))];
    deviceLine(choice);
    document.getElementById("panels")!.append(...panels.map((p) => render(p, choice.adapter)));
    const out = {
      device: choice.device,
      why: choice.why,
      adapter: choice.adapter ?? null,
      panels: Object.fromEntries(panels.map((p) => [p.id, { device: p.device, shape: p.shape, J: p.id === "batch" ? p.tiles : p.tiles[0], us: p.jacobian.us, primalUs: p.primal.us }])),
    };
    results.textContent = JSON.stringify(out, null, 1);
    document.body.dataset.done = "true";
  } catch (e) {
    results.textContent = JSON.stringify({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    document.body.dataset.done = "error";
    throw e;
  }
}

void main();
