import { readFileSync } from 'node:fs';
import { createCanvas, loadImage } from 'canvas';

/** Fraction of pixels of a PNG that are not (near) white. */
export async function inkFraction(png: string): Promise<number> {
  const image = await loadImage(readFileSync(png));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const data = ctx.getImageData(0, 0, image.width, image.height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4)
    if ((data[i] as number) < 230 || (data[i + 1] as number) < 230 || (data[i + 2] as number) < 230) ink++;
  return ink / (data.length / 4);
}
