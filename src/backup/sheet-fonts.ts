import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { create, type Font } from 'fontkit';

export type SheetWeight = 400 | 700;

/**
 * The faces the sheet draws with, tried in this order for each character: Noto Sans (Latin,
 * Cyrillic, Greek, Vietnamese), Noto Sans Arabic, Noto Sans SC (Chinese, kana, most kanji),
 * Noto Sans KR (Hangul and the kanji and hanja SC lacks), and Noto Emoji (monochrome outlines;
 * colour emoji fonts cannot be embedded in a PDF). The packages split each face into
 * unicode-range subsets; each subset is its own small font file.
 */
const faces = [
  '@fontsource/noto-sans',
  '@fontsource/noto-sans-arabic',
  '@fontsource/noto-sans-sc',
  '@fontsource/noto-sans-kr',
  '@fontsource/noto-emoji',
] as const;

/** One subset file of one face at one weight, loaded once per process. */
export interface SheetFont {
  /** The name the font is registered under in a PDF document. */
  key: string;
  /** For looking up which characters it has; documents draw with their own copy. */
  font: Font;
  sfnt: Buffer;
}

interface Subset {
  name: string;
  ranges: (readonly [first: number, last: number])[];
}

interface Face {
  dir: string;
  fileStem: string;
  subsets: Subset[];
}

const require = createRequire(import.meta.url);
let loadedFaces: Face[] | undefined;
const loadedFonts = new Map<string, SheetFont | null>();

function parseRanges(css: string): Subset['ranges'] {
  return css.split(',').map((range) => {
    const [first, last] = range.trim().replace(/^U\+/i, '').split('-');
    const start = Number.parseInt(first ?? '', 16);
    return [start, last === undefined ? start : Number.parseInt(last, 16)] as const;
  });
}

function sheetFaces(): Face[] {
  loadedFaces ??= faces.map((name) => {
    const rangesFile = require.resolve(`${name}/unicode.json`);
    const ranges = JSON.parse(readFileSync(rangesFile, 'utf8')) as Record<string, string>;
    return {
      dir: join(dirname(rangesFile), 'files'),
      fileStem: name.slice(name.indexOf('/') + 1),
      // Subsets are named like "latin" or "[42]"; the file names drop the brackets.
      subsets: Object.entries(ranges).map(([subset, css]) => ({
        name: subset.replace(/^\[(\d+)\]$/, '$1'),
        ranges: parseRanges(css),
      })),
    };
  });
  return loadedFaces;
}

function loadFont(face: Face, subset: Subset, weight: SheetWeight): SheetFont | null {
  const key = `${face.fileStem}-${subset.name}-${weight}`;
  let loaded = loadedFonts.get(key);
  if (loaded === undefined) {
    // WOFF (not WOFF2): fontkit cannot subset WOFF2's transformed glyph tables for embedding.
    const file = join(face.dir, `${key}-normal.woff`);
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(file);
    } catch {
      // A face without this weight (none today): the next face in the list is tried.
    }
    loaded = bytes === undefined ? null : usableFont(key, bytes);
    loadedFonts.set(key, loaded);
  }
  return loaded;
}

/**
 * The TrueType font inside a WOFF file (the WOFF 1.0 layout: a header, a table directory, and
 * each table zlib-compressed unless that would not make it smaller). fontkit reads WOFF itself,
 * but inflates a table again on every access, which made embedding take seconds.
 */
export function sfntFromWoff(woff: Buffer): Buffer {
  if (woff.toString('latin1', 0, 4) !== 'wOFF') throw new Error('Not a WOFF font.');
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  const tables = Array.from({ length: numTables }, (_, index) => {
    const entry = 44 + index * 20;
    const offset = woff.readUInt32BE(entry + 4);
    const compressedLength = woff.readUInt32BE(entry + 8);
    const length = woff.readUInt32BE(entry + 12);
    const stored = woff.subarray(offset, offset + compressedLength);
    return {
      tag: woff.readUInt32BE(entry),
      checksum: woff.readUInt32BE(entry + 16),
      data: compressedLength < length ? inflateSync(stored) : stored,
    };
  });
  const searchPower = 2 ** Math.floor(Math.log2(numTables));
  const header = Buffer.alloc(12 + numTables * 16);
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(numTables, 4);
  header.writeUInt16BE(searchPower * 16, 6);
  header.writeUInt16BE(Math.log2(searchPower), 8);
  header.writeUInt16BE(numTables * 16 - searchPower * 16, 10);
  const chunks: Buffer[] = [header];
  let offset = header.length;
  tables.forEach((table, index) => {
    const entry = 12 + index * 16;
    header.writeUInt32BE(table.tag, entry);
    header.writeUInt32BE(table.checksum, entry + 4);
    header.writeUInt32BE(offset, entry + 8);
    header.writeUInt32BE(table.data.length, entry + 12);
    const padding = (4 - (table.data.length % 4)) % 4;
    chunks.push(table.data, Buffer.alloc(padding));
    offset += table.data.length + padding;
  });
  return Buffer.concat(chunks);
}

function usableFont(key: string, woff: Buffer): SheetFont | null {
  const sfnt = sfntFromWoff(woff);
  const font = create(sfnt);
  try {
    font.hasGlyphForCodePoint(0x20);
  } catch {
    // One subset file in the packages has no character map; the next file or face is tried.
    return null;
  }
  return { key, font, sfnt };
}

/**
 * A fresh copy of the font for one PDF document. fontkit remembers each glyph with the
 * characters it was first reached by, and embedding reaches some glyphs as parts of others (the
 * dot in a colon), so a copy shared between documents would lose the text behind those glyphs.
 */
export function documentFont(font: SheetFont): Font {
  const copy = create(font.sfnt);
  // pdfkit treats two fonts with the same PostScript name as one; the subsets of a face share
  // it, so each gets its own.
  Object.defineProperty(copy, 'postscriptName', { value: `${copy.postscriptName}-${font.key}` });
  return copy;
}

function covers(subset: Subset, codePoint: number): boolean {
  return subset.ranges.some(([first, last]) => codePoint >= first && codePoint <= last);
}

/** The font the sheet's own wording (English and Bokmål) is set in. */
export function mainFont(weight: SheetWeight): SheetFont {
  const [face] = sheetFaces();
  const latin = face?.subsets.find((subset) => subset.name === 'latin');
  const font = face && latin && loadFont(face, latin, weight);
  if (!font) throw new Error(`The Noto Sans Latin font (weight ${weight}) is not installed.`);
  return font;
}

/**
 * The first font, in face order, that has a glyph for every code point given (a grapheme
 * cluster: a letter with its marks, an emoji with its modifiers); undefined when none has.
 */
export function fontForCodePoints(
  codePoints: readonly number[],
  weight: SheetWeight,
): SheetFont | undefined {
  const [first] = codePoints;
  if (first === undefined) return undefined;
  for (const face of sheetFaces()) {
    for (const subset of face.subsets) {
      if (!covers(subset, first)) continue;
      const font = loadFont(face, subset, weight);
      if (font && codePoints.every((codePoint) => font.font.hasGlyphForCodePoint(codePoint))) {
        return font;
      }
    }
  }
  return undefined;
}
