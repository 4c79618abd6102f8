import { describe, expect, it } from 'vitest';
import { didYouMean, suggest } from '../src/suggest.js';

const COMMANDS = ['whoami', 'discover', 'doctor', 'start', 'ping'];

describe('suggest', () => {
  it('finds typos, transpositions and prefixes', () => {
    expect(suggest('stat', COMMANDS)).toEqual(['start']);
    expect(suggest('pign', COMMANDS)).toEqual(['ping']);
    expect(suggest('docter', COMMANDS)).toEqual(['doctor']);
    expect(suggest('disc', COMMANDS)).toEqual(['discover']);
    expect(suggest('whoamI', COMMANDS)).toEqual(['whoami']);
  });

  it('suggests nothing for a word far from every candidate', () => {
    expect(suggest('frobnicate', COMMANDS)).toEqual([]);
    expect(suggest('x', COMMANDS)).toEqual([]);
    expect(didYouMean('frobnicate', COMMANDS)).toBe('');
  });

  it('words the suggestion, closest first, at most two', () => {
    expect(didYouMean('jsn', ['json', 'name'], (c) => `--${c}`)).toBe(' Did you mean --json?');
    expect(didYouMean('pong', ['ping', 'long', 'song', 'start'])).toBe(' Did you mean long or ping?');
  });
});
