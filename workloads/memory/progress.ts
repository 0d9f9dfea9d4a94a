/** The dirtier's progress file: "ELAPSED_S PAGES_WRITTEN MISSED_TICKS". */
export interface Progress {
  elapsedS: number;
  pagesWritten: number;
  missedTicks: number;
}

export function parseProgress(text: string): Progress | null {
  const fields = text.trim().split(/\s+/).map(Number);
  if (fields.length !== 3 || fields.some((f) => !Number.isFinite(f))) return null;
  const [elapsedS, pagesWritten, missedTicks] = fields as [number, number, number];
  return { elapsedS, pagesWritten, missedTicks };
}
