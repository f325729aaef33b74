// Robot inverse kinematics: Levenberg–Marquardt steps, each a Jacobian (jacrev) and a linear solve;
// the step itself is differentiated through linalg.solve (how the step moves with the target).
import { jacrev, linalg, stack, tensor, type Tensor } from "jacc";

const links = tensor([1.0, 0.8, 0.5], { dtype: "float64" });
// joint i's absolute angle is the sum of the first i + 1 joint angles
const cumulative = tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], { dtype: "float64" });
const eye = tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]], { dtype: "float64" });
const damping = 0.05;

/** The end effector [x, y] of the joint angles q [3]. */
export function endEffector(q: Tensor): Tensor {
  const angles = cumulative.matmul(q);
  return stack([angles.cos().mul(links).sum(), angles.sin().mul(links).sum()]);
}

const jacobianOf = jacrev(endEffector);

/** One Levenberg–Marquardt step towards `target`: q + (JᵀJ + λI)⁻¹ Jᵀ (target − f(q)). */
export function lmStep(q: Tensor, target: Tensor): Tensor {
  const J = jacobianOf(q);
  const Jt = J.t();
  return q.add(linalg.solve(Jt.matmul(J).add(eye.mul(damping)), Jt.matmul(target.sub(endEffector(q)))));
}

/** The same step with J as a fixed input (a Gauss–Newton update is differentiable in q, J and the target). */
export function update(q: Tensor, J: Tensor, target: Tensor): Tensor {
  const Jt = J.t();
  return q.add(linalg.solve(Jt.matmul(J).add(eye.mul(damping)), Jt.matmul(target.sub(endEffector(q)))));
}

/** How one update moves with the target, and with the joint angles: d q' / d target, d q' / d q. */
export const updateJacobians = jacrev(update, { argnums: [0, 2] });

export function main() {
  const target = tensor([1.2, 1.1], { dtype: "float64" });
  let q = tensor([0.3, -0.5, 0.9], { dtype: "float64" });
  const start = endEffector(q).sub(target).square().sum().sqrt().item();
  for (let i = 0; i < 20; i++) q = lmStep(q, target);
  const reached = endEffector(q).sub(target).square().sum().sqrt().item();
  const q0 = [0.3, -0.5, 0.9];
  const J0 = jacobianOf(tensor(q0, { dtype: "float64" }));
  const [dq, dt] = updateJacobians(tensor(q0, { dtype: "float64" }), J0, target);
  const t0 = [...target.data];
  return {
    "distance to the target, before and after 20 steps": [start, reached],
    "joint angles": [...q.data],
    "d endEffector / d q": { value: J0, of: (a: number[]) => endEffector(tensor(a, { dtype: "float64" })), at: [q0] },
    "d update / d q (J held)": { value: dq, of: (a: number[]) => update(tensor(a, { dtype: "float64" }), J0, target), at: [q0] },
    "d update / d target": { value: dt, of: (b: number[]) => update(tensor(q0, { dtype: "float64" }), J0, tensor(b, { dtype: "float64" })), at: [t0] },
  };
}
