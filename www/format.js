// Numbers for people: thousands separators and binary byte units.

const grouping = new Intl.NumberFormat('en-US');

export function count(n) {
  return grouping.format(n);
}

export function signedCount(n) {
  return n > 0 ? `+${count(n)}` : count(n);
}

export function bytes(n) {
  const abs = Math.abs(n);
  if (abs < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = abs / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${n < 0 ? '-' : ''}${value.toFixed(1)} ${units[unit]}`;
}

export function signedBytes(n) {
  return n > 0 ? `+${bytes(n)}` : bytes(n);
}

/** A header time (`2026-12-02T18:07:22.487462Z`) as `2026-12-02 18:07:22 UTC`. */
export function captureTime(time) {
  return time.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
}

// What the length of an object of this type counts.
export function lengthUnit(typeName) {
  if (typeName === 'str') return 'characters';
  if (typeName === 'bytes' || typeName === 'bytearray') return 'bytes';
  return 'entries';
}
