import { describe, expect, it } from 'vitest';
import { ProcTable } from '../src/proc-table.js';

describe('ProcTable', () => {
  it('finds, counts and lists what was added, in key order', () => {
    const t = new ProcTable<string>();
    for (let k = 1; k <= 5; k++) t.set(k, `p${k}`);
    expect(t.size).toBe(5);
    expect(t.get(3)).toBe('p3');
    expect(t.get(0)).toBeUndefined();
    expect(t.get(6)).toBeUndefined();
    expect(t.get(2.5)).toBeUndefined();
    expect(t.delete(3)).toBe(true);
    expect(t.delete(3)).toBe(false);
    expect(t.delete(99)).toBe(false);
    expect(t.get(3)).toBeUndefined();
    expect(t.size).toBe(4);
    expect([...t.values()]).toEqual(['p1', 'p2', 'p4', 'p5']);
  });

  it('keeps gaps in the keys', () => {
    const t = new ProcTable<number>();
    t.set(10, 10);
    t.set(13, 13);
    expect(t.get(11)).toBeUndefined();
    expect(t.get(13)).toBe(13);
    expect(t.size).toBe(2);
    expect([...t.values()]).toEqual([10, 13]);
  });

  it('moves survivors to the older map when most of the array died, and still finds and deletes them', () => {
    const t = new ProcTable<number>();
    for (let k = 1; k <= 5000; k++) t.set(k, k);
    // Every key but multiples of 1000 ends: the array compacts on the way.
    for (let k = 1; k <= 5000; k++) if (k % 1000 !== 0) t.delete(k);
    expect(t.size).toBe(5);
    expect([...t.values()]).toEqual([1000, 2000, 3000, 4000, 5000]);
    for (let k = 5001; k <= 5003; k++) t.set(k, k);
    expect(t.get(2000)).toBe(2000);
    expect(t.get(5002)).toBe(5002);
    expect(t.get(1999)).toBeUndefined();
    expect(t.delete(2000)).toBe(true);
    expect(t.get(2000)).toBeUndefined();
    expect([...t.values()]).toEqual([1000, 3000, 4000, 5000, 5001, 5002, 5003]);
    expect(t.size).toBe(7);
  });

  it('starts the array again after everything ended', () => {
    const t = new ProcTable<number>();
    for (let k = 1; k <= 3000; k++) t.set(k, k);
    for (let k = 1; k <= 3000; k++) t.delete(k);
    expect(t.size).toBe(0);
    expect([...t.values()]).toEqual([]);
    t.set(1_000_000, 1);
    expect(t.get(1_000_000)).toBe(1);
    expect(t.size).toBe(1);
  });
});
