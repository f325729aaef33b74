// Whether to colour what goes to a stream: FORCE_COLOR (anything but "0"/"false")
// forces it, NO_COLOR (any non-empty value) turns it off, and otherwise only a
// terminal that has colours gets them (never a pipe or a file).
export function colorFor(stream: { isTTY?: boolean; hasColors?: () => boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY) && (stream.hasColors?.() ?? false);
}
