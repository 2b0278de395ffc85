// The comparison's per-type rows cross from the worker to the page as columns: one array of
// names and two Float64Arrays, transferred. (As 100k objects they took the page's main thread
// hundreds of ms to receive.) The page reads them through thin row objects.

const NUMBERS = ['newCount', 'deletedCount', 'countDelta', 'newBytes', 'freedBytes', 'bytesDelta', 'bytesAfter', 'retainedAfter'];
const WIDTH = NUMBERS.length;

/** Worker side: `types` (row objects) as columns, and the buffers to transfer. */
export function packTypeRows(types) {
  const n = types.length;
  let steps = 0; // one value per snapshot; a row without a series has none
  for (const row of types) steps = Math.max(steps, row.counts.length);
  const numbers = new Float64Array(n * WIDTH);
  const series = new Float64Array(n * steps * 2).fill(NaN); // each row: its counts, then its bytes
  const names = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = types[i];
    names[i] = row.typeName;
    for (let j = 0; j < WIDTH; j++) numbers[i * WIDTH + j] = row[NUMBERS[j]] ?? NaN;
    series.set(row.counts, i * steps * 2);
    series.set(row.bytes, i * steps * 2 + steps);
  }
  return { packed: { names, numbers, series, steps }, transfer: [numbers.buffer, series.buffer] };
}

/** Page side: the rows, each reading its columns on demand. */
export function unpackTypeRows(packed) {
  const rows = new Array(packed.names.length);
  for (let i = 0; i < rows.length; i++) rows[i] = new TypeRow(packed, i);
  return rows;
}

class TypeRow {
  constructor(columns, index) {
    this.columns = columns;
    this.index = index;
  }

  get typeName() { return this.columns.names[this.index]; }

  /** The type's count in each snapshot, oldest first. */
  get counts() { return this.seriesPart(0); }

  /** The type's bytes in each snapshot, oldest first. */
  get bytes() { return this.seriesPart(1); }

  seriesPart(part) {
    const { series, steps } = this.columns;
    const from = (this.index * 2 + part) * steps;
    const values = Array.from(series.subarray(from, from + steps));
    return Number.isNaN(values[0]) ? [] : values;
  }

  /** The row as the worker made it, for the JSON export. */
  toJSON() {
    const out = { typeName: this.typeName };
    for (const key of NUMBERS) out[key] = this[key];
    out.counts = this.counts;
    out.bytes = this.bytes;
    return out;
  }
}

NUMBERS.forEach((key, j) => {
  Object.defineProperty(TypeRow.prototype, key, {
    get() {
      const value = this.columns.numbers[this.index * WIDTH + j];
      return Number.isNaN(value) ? undefined : value;
    },
  });
});
