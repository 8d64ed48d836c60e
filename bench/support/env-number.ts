/** A non-negative number from the environment variable `name` (a bench knob), `fallback` when unset; throws naming a bad value. */
export function envNumber(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: "${v}" is not a non-negative number`);
  return n;
}
