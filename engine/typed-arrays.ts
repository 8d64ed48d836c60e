/** A copy of `a` with room for `length` elements (the columnar stores grow their typed-array columns by doubling). */
export function widened<T extends Int32Array | Uint8Array | Uint32Array | Float64Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
