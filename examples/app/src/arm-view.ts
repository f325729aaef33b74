// The robot arm, live: the arm drawn at its joint angles with each column of
// its Jacobian as an arrow at the tip (the tip's velocity per unit speed of
// that joint), and a slider per joint, showing its angle, that recomputes the
// Jacobian as it moves.
// The current angles and Jacobian are mirrored in the section's data-q and
// data-j attributes (JSON), for the browser test.
import type { Tensor } from "jacc";
import { armJacobian, LINKS } from "./programs.js";
import { figure, type JacobianView, type Matrix } from "./heatmap.js";

const COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080"];

/** [dx/dq, dy/dq] as two rows of numbers. */
export function armRows(q: number[]): Matrix {
  return armJacobian(q).map((block: Tensor) => block.toArray() as number[]);
}

export function mountArmView(section: HTMLElement, view: JacobianView, start: number[]): void {
  const q = start.slice();
  const arm = document.createElement("canvas");
  arm.width = 380;
  arm.height = 380;
  const sliders = document.createElement("div");
  sliders.className = "sliders";
  const update = (): void => {
    const J = armRows(q);
    view.draw([J]);
    drawArm(arm, q, J);
    section.dataset.q = JSON.stringify(q);
    section.dataset.j = JSON.stringify(J);
  };
  q.forEach((angle, i) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    Object.assign(input, { type: "range", min: "-3.14", max: "3.14", step: "0.01", value: String(angle) });
    const value = document.createElement("output");
    const show = (): void => void (value.textContent = `${q[i].toFixed(2)} rad`);
    input.addEventListener("input", () => {
      q[i] = Number(input.value);
      show();
      update();
    });
    show();
    label.style.color = COLOURS[i % COLOURS.length];
    label.append(`q${i} `, input, value);
    sliders.append(label);
  });
  section.querySelector(".maps")!.prepend(figure(arm, "the arm; arrow i: column i of J"));
  view.readout.after(sliders);
  update();
}

function drawArm(canvas: HTMLCanvasElement, q: number[], J: Matrix): void {
  const g = canvas.getContext("2d")!;
  const reach = LINKS.reduce((s, l) => s + l, 0);
  const scale = (0.72 * canvas.width) / 2 / reach; // room around the arm for the arrows
  const px = (x: number, y: number): [number, number] => [canvas.width / 2 + x * scale, canvas.height / 2 - y * scale];
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.strokeStyle = "#ddd";
  g.beginPath();
  g.arc(canvas.width / 2, canvas.height / 2, reach * scale, 0, 2 * Math.PI);
  g.stroke();
  let x = 0, y = 0, angle = 0;
  g.lineWidth = 4;
  g.strokeStyle = "#444";
  g.beginPath();
  g.moveTo(...px(0, 0));
  for (let i = 0; i < LINKS.length; i++) {
    angle += q[i];
    x += LINKS[i] * Math.cos(angle);
    y += LINKS[i] * Math.sin(angle);
    g.lineTo(...px(x, y));
  }
  g.stroke();
  // arrows at the tip: d(tip)/dq_i, at ARROW of the arm's scale so that they stay in the picture
  const [tx, ty] = px(x, y);
  g.lineWidth = 2;
  J[0].forEach((dx, i) => {
    const [ex, ey] = px(x + ARROW * dx, y + ARROW * J[1][i]);
    g.strokeStyle = g.fillStyle = COLOURS[i % COLOURS.length];
    arrow(g, tx, ty, ex, ey);
  });
}

const ARROW = 0.4;

function arrow(g: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  const a = Math.atan2(y1 - y0, x1 - x0);
  g.beginPath();
  g.moveTo(x0, y0);
  g.lineTo(x1, y1);
  g.stroke();
  g.beginPath();
  g.moveTo(x1, y1);
  g.lineTo(x1 - 7 * Math.cos(a - 0.4), y1 - 7 * Math.sin(a - 0.4));
  g.lineTo(x1 - 7 * Math.cos(a + 0.4), y1 - 7 * Math.sin(a + 0.4));
  g.closePath();
  g.fill();
}
