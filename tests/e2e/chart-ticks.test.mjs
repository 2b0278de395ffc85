// Round ticks for the trend chart's byte axis, and its capture-time labels (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteTicks, timeLabels } from '../../www/chart-ticks.js';

const labels = (min, max, most) => byteTicks(min, max, most).map((t) => t.label);
const MiB = 2 ** 20;

test('ticks are round values of one binary unit, covering the range', () => {
  assert.deepEqual(labels(0, 1.4 * MiB, 4), ['0 B', '+0.5 MiB', '+1 MiB', '+1.5 MiB']);
  assert.deepEqual(labels(0, 5.9 * 1024, 4), ['0 B', '+2 KiB', '+4 KiB', '+6 KiB']);
  assert.deepEqual(labels(0, 1.2e6, 5), ['0 B', '+0.25 MiB', '+0.5 MiB', '+0.75 MiB', '+1 MiB', '+1.25 MiB']);
  assert.deepEqual(labels(-300 * 1024, 1.9 * MiB, 4), ['-1 MiB', '0 B', '+1 MiB', '+2 MiB']);
  assert.deepEqual(labels(0, 3, 4), ['0 B', '+1 B', '+2 B', '+3 B']);
  assert.deepEqual(labels(0, 0, 4), ['0 B', '+1 B']);
  for (const [min, max] of [[0, 1], [0, 1023], [0, 1025], [-5e9, 7e11], [0, 2 ** 50]]) {
    const ticks = byteTicks(min, max, 4);
    assert.ok(ticks[0].value <= min && ticks.at(-1).value >= max, `${min}…${max}: ${ticks.map((t) => t.label)}`);
    assert.ok(ticks.length >= 2 && ticks.length <= 7, `${min}…${max}: ${ticks.length} ticks`);
    const steps = new Set(ticks.slice(1).map((t, i) => Math.round(t.value - ticks[i].value)));
    assert.equal(steps.size, 1, `${min}…${max}: even steps`);
  }
});

test('bad ranges are refused', () => {
  assert.throws(() => byteTicks(2, 1), RangeError);
  assert.throws(() => byteTicks(0, Infinity), RangeError);
  assert.throws(() => byteTicks(0, 1, 0), RangeError);
});

test('capture times: the time within one day, the date and minute across days, nothing when one is missing', () => {
  assert.deepEqual(timeLabels(['2026-12-02T18:07:22.123456Z', '2026-12-02T18:17:02Z']), ['18:07:22', '18:17:02']);
  assert.deepEqual(timeLabels(['2026-12-01T23:59:00Z', '2026-12-02T00:04:00Z']), ['12-01 23:59', '12-02 00:04']);
  assert.deepEqual(timeLabels(['2026-12-01T23:59:00Z', null]), ['', '']);
});
