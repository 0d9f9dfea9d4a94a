/// <reference lib="dom" />
import { type Browser, chromium, type Page } from 'playwright-core';

/** An HTML report loaded in Debian's headless Chromium, its charts drawn. */
export interface ReportPage {
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  /** Every URL the page requested (the report itself only, when self-contained). */
  requests: string[];
  /** Each canvas: its id, and how many of its pixels are painted (not transparent). */
  canvases(): Promise<{ id: string; painted: number; total: number }[]>;
  /** Pixels of a canvas within 12 of an opaque RGB colour (a chart's line or points). */
  pixelsOf(canvasId: string, rgb: readonly number[]): Promise<number>;
  close(): Promise<void>;
}

export async function openReport(file: string): Promise<ReportPage> {
  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    await page.waitForFunction(
      () => (window as unknown as { __chartsReady?: boolean }).__chartsReady === true,
      null,
      { timeout: 15_000 },
    );
    return {
      page,
      errors,
      requests,
      canvases: () =>
        page.evaluate(() =>
          [...document.querySelectorAll('canvas')].map((canvas) => {
            const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
            const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) painted++;
            return { id: canvas.id, painted, total: data.length / 4 };
          }),
        ),
      pixelsOf: (canvasId, rgb) =>
        page.evaluate(
          ([id, [r, g, b]]) => {
            const canvas = document.getElementById(id as string) as HTMLCanvasElement;
            const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
              0,
              0,
              canvas.width,
              canvas.height,
            ).data;
            let n = 0;
            for (let i = 0; i < data.length; i += 4)
              if (
                Math.abs((data[i] as number) - (r as number)) < 12 &&
                Math.abs((data[i + 1] as number) - (g as number)) < 12 &&
                Math.abs((data[i + 2] as number) - (b as number)) < 12 &&
                (data[i + 3] as number) > 200
              )
                n++;
            return n;
          },
          [canvasId, [...rgb]] as const,
        ),
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
