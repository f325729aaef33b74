// A planar robot arm: joint angles in, end-effector position out.
// The link lengths are captured constants (not differentiated); the loop walks the links.
import { jacobian } from "jacc";

const links = [1.0, 0.8, 0.5];

export function endEffector(q: number[]): [number, number] {
  let angle = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < links.length; i++) {
    angle += q[i];
    x += links[i] * Math.cos(angle);
    y += links[i] * Math.sin(angle);
  }
  return [x, y];
}

export function main() {
  const q = [0.3, -0.5, 0.9];
  return {
    position: endEffector(q),
    J: { value: jacobian(endEffector, q), of: endEffector, at: [q], tupleOut: true },
  };
}
