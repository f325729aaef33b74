// Two masses on springs in 3-D, integrated with RK4 in a loop over Vec3 records; the Jacobian of the final state w.r.t. the initial one.
import { jacobian } from "jacc";

type Vec3 = { x: number; y: number; z: number };
type State = { p: Vec3; v: Vec3; q: Vec3; w: Vec3 };

const k = 4.0; // spring constant (anchor–first mass, first–second mass)
const dt = 0.05;

function add(a: Vec3, b: Vec3, s: number): Vec3 {
  return { x: a.x + s * b.x, y: a.y + s * b.y, z: a.z + s * b.z };
}

function sub(a: Vec3, b: Vec3): Vec3 {
  return { x: a.x - b.x, y: a.y - b.y, z: a.z - b.z };
}

function deriv(s: State): State {
  const stretch = sub(s.q, s.p);
  const fp = add({ x: -k * s.p.x, y: -k * s.p.y, z: -k * s.p.z }, stretch, k);
  const fq = { x: -k * stretch.x, y: -k * stretch.y, z: -k * stretch.z };
  return { p: s.v, v: fp, q: s.w, w: fq };
}

function axpy(s: State, d: State, h: number): State {
  return { p: add(s.p, d.p, h), v: add(s.v, d.v, h), q: add(s.q, d.q, h), w: add(s.w, d.w, h) };
}

export function simulate(s0: State): State {
  let s = s0;
  for (let i = 0; i < 40; i++) {
    const k1 = deriv(s);
    const k2 = deriv(axpy(s, k1, dt / 2));
    const k3 = deriv(axpy(s, k2, dt / 2));
    const k4 = deriv(axpy(s, k3, dt));
    s = axpy(axpy(axpy(axpy(s, k1, dt / 6), k2, dt / 3), k3, dt / 3), k4, dt / 6);
  }
  return s;
}

/** The state's 12 numbers in a fixed order (p, v, q, w; x, y, z), and back: for the finite differences. */
const parts = ["p", "v", "q", "w"] as const;
const flatState = (s: State): number[] => parts.flatMap((a) => [s[a].x, s[a].y, s[a].z]);
const stateOf = (n: number[]): State => {
  const at = (i: number): Vec3 => ({ x: n[3 * i], y: n[3 * i + 1], z: n[3 * i + 2] });
  return { p: at(0), v: at(1), q: at(2), w: at(3) };
};

export function main() {
  const s0: State = { p: { x: 0.1, y: 0, z: 0.2 }, v: { x: 0, y: 0.3, z: 0 }, q: { x: 1, y: 0.1, z: 0 }, w: { x: 0, y: 0, z: -0.2 } };
  // a record of records: J.q.x.p.z is d q.x(T) / d p.z(0), as torch.func's jacrev nests pytrees
  const J = jacobian(simulate, s0);
  return {
    "second mass at t = 2": simulate(s0).q,
    "d q.x(T) / d p.x(0)": J.q.x.p.x,
    "d state(T) / d state(0)": { value: J, of: (n: number[]) => flatState(simulate(stateOf(n))), at: [flatState(s0)] },
  };
}
