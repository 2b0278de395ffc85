// Round value ticks for a byte axis: one binary unit, a step of 1, 2, 2.5 or 5 × 10^k of it.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * Ticks covering `min`…`max` bytes, at most about `most` intervals, each `{ value, label }`
 * (`0 B`, `+0.5 MiB`, `+1 MiB`, `-256 KiB`), lowest first.
 *
 * Example: byteTicks(0, 1.4 * 2 ** 20) labels 0 B, +0.5 MiB, +1 MiB, +1.5 MiB.
 */
export function byteTicks(min, max, most = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new RangeError(`byteTicks needs finite min <= max, got ${min}, ${max}`);
  }
  if (!(most >= 1)) throw new RangeError(`byteTicks needs most >= 1, got ${most}`);
  const largest = Math.max(Math.abs(min), Math.abs(max), 1);
  const power = Math.min(UNITS.length - 1, Math.floor(Math.log2(largest) / 10));
  const unit = 2 ** (10 * power);
  const raw = Math.max(max - min, 1) / unit / most;
  const exponent = Math.floor(Math.log10(raw));
  const multiple = [1, 2, 2.5, 5, 10].find((m) => m * 10 ** exponent >= raw * (1 - 1e-9));
  let step = multiple * 10 ** exponent;
  // Digits after the point that the step needs (2.5 needs one more than its decade).
  let decimals = Math.max(0, -exponent + (multiple === 2.5 ? 1 : multiple === 10 ? -1 : 0));
  if (power === 0) {
    if (!Number.isInteger(step)) step = step < 1 ? 1 : 5; // whole bytes only
    decimals = 0;
  }
  const first = Math.floor(min / unit / step + 1e-9);
  const last = Math.ceil(max / unit / step - 1e-9);
  const ticks = [];
  for (let i = first; i <= Math.max(last, first + 1); i++) {
    const inUnit = Number((i * step).toFixed(decimals));
    const text = `${Math.abs(inUnit)} ${UNITS[power]}`;
    ticks.push({ value: inUnit * unit, label: inUnit > 0 ? `+${text}` : inUnit < 0 ? `-${text}` : '0 B' });
  }
  return ticks;
}

/** The capture times of snapshots as short axis labels: `18:07:22` within one day, else `12-02 18:07`. */
export function timeLabels(times) {
  const parsed = times.map((t) => (t ? /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d)(:\d\d)?/.exec(t) : null));
  if (parsed.some((m) => m === null)) return times.map(() => '');
  const oneDay = parsed.every((m) => m.slice(1, 4).join('-') === parsed[0].slice(1, 4).join('-'));
  return parsed.map((m) => (oneDay ? `${m[4]}${m[5] ?? ''}` : `${m[2]}-${m[3]} ${m[4]}`));
}
