/**
 * Strings that repeat across many records (counterparties, currencies, action types), stored once and named by a
 * small number, so that columnar stores (the actors' TradeTable, the scoring thread's TradeMemory) keep numbers in
 * typed arrays instead of string references for the GC to trace. Code 0 stands for undefined.
 */
export class StringCodes {
  private readonly codes = new Map<string, number>();
  private readonly values: (string | undefined)[] = [undefined];

  code(value: string | undefined): number {
    if (value === undefined) return 0;
    let c = this.codes.get(value);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(value);
      this.codes.set(value, c);
    }
    return c;
  }

  value(code: number): string | undefined {
    return this.values[code];
  }
}
