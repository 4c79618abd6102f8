/**
 * Did-you-mean: the candidates closest to a mistyped word, as git and npm suggest commands. Distance is the optimal
 * string alignment distance (Levenshtein plus adjacent transpositions: `stat` -> `start`, `pign` -> `ping`); a
 * candidate is suggested when it is at most a third of the word's length away (at least 1, at most 3 edits), or
 * when the word is a prefix of it (`disc` -> `discover`).
 */
export function suggest(word: string, candidates: readonly string[]): string[] {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  const scored: Array<{ candidate: string; d: number }> = [];
  for (const candidate of candidates) {
    const d = candidate.startsWith(word) && word.length >= 2 ? 0 : distance(word, candidate);
    if (d <= limit) scored.push({ candidate, d });
  }
  return scored.sort((x, y) => x.d - y.d || x.candidate.localeCompare(y.candidate)).map((s) => s.candidate);
}

/** ` Did you mean X?` (or `X or Y?`) for a message, or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[], format = (c: string) => c): string {
  const close = suggest(word, candidates).slice(0, 2).map(format);
  return close.length === 0 ? '' : ` Did you mean ${close.join(' or ')}?`;
}

/** Optimal string alignment distance between a and b. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
        (d[(i - 1) * cols + j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (d[(i - 2) * cols + j - 2] as number) + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1] as number;
}
