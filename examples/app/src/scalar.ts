// A page of number code only: jacobian over number parameters gives number
// blocks, so the generated code needs nothing from jacc's tensor runtime.
import { jacobian } from "jacc";

const LINKS = [1.0, 0.8, 0.6];

function tip(q0: number, q1: number, q2: number): [number, number] {
  const a1 = q0, a2 = q0 + q1, a3 = q0 + q1 + q2;
  return [
    LINKS[0] * Math.cos(a1) + LINKS[1] * Math.cos(a2) + LINKS[2] * Math.cos(a3),
    LINKS[0] * Math.sin(a1) + LINKS[1] * Math.sin(a2) + LINKS[2] * Math.sin(a3),
  ];
}

export const Q: [number, number, number] = [0.4, -0.3, 0.7];
/** [[dx/dq0, dx/dq1, dx/dq2], [dy/dq0, dy/dq1, dy/dq2]], numbers */
export const tipJacobian = (q: [number, number, number]): number[][] => jacobian(tip, q);

// (the browser test imports this module in Node too, where there is no document)
const results = typeof document === "undefined" ? null : document.getElementById("results");
if (results) {
  results.textContent = JSON.stringify({ J: tipJacobian(Q) });
  document.body.dataset.done = "true";
}
