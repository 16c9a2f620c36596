import bidiModule from 'bidi-js';
import {
  documentFont,
  fontForCodePoints,
  mainFont,
  type SheetFont,
  type SheetWeight,
} from './sheet-fonts.js';

/** How text a person typed (a device name, a drive label) is printed on the sheet. */
export interface NameStyle {
  size: number;
  weight: SheetWeight;
  colour: string;
  /** The line box, as a multiple of the size. */
  lineHeight: number;
}

// bidi-js is a CommonJS module whose exports are the factory itself; its types describe it as
// an ES module with a default export.
const bidi = (bidiModule as unknown as typeof bidiModule.default)();
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const words = new Intl.Segmenter(undefined, { granularity: 'word' });
const ellipsis = '…';

/** A stretch of one line set in one font at one bidi level, in logical order. */
interface Piece {
  text: string;
  font: SheetFont;
  level: number;
}

function codePoints(text: string): number[] {
  return Array.from(text, (char) => char.codePointAt(0) ?? 0);
}

function hasStrongRtl(text: string): boolean {
  return Array.from(text).some((char) => {
    const type = bidi.getBidiCharTypeName(char);
    return type === 'R' || type === 'AL';
  });
}

/**
 * Splits one line into pieces: each grapheme cluster takes the first font that has all its
 * code points (so Latin, spaces and punctuation stay in the main face), and a piece never spans
 * two bidi levels. Arabic letters join only within a word, so a space between pieces does not
 * break their shaping.
 */
function pieces(line: string, weight: SheetWeight): Piece[] {
  const { levels } = bidi.getEmbeddingLevels(line, 'auto');
  const result: Piece[] = [];
  for (const { segment, index } of graphemes.segment(line)) {
    const points = codePoints(segment);
    const level = levels[index] ?? 0;
    const font =
      fontForCodePoints(points, weight) ??
      fontForCodePoints(points.slice(0, 1), weight) ??
      mainFont(weight);
    const last = result.at(-1);
    if (last?.font === font && last.level === level) {
      last.text += segment;
    } else {
      result.push({ text: segment, font, level });
    }
  }
  return result;
}

const registered = new WeakMap<PDFKit.PDFDocument, Set<string>>();

function useFont(doc: PDFKit.PDFDocument, font: SheetFont): PDFKit.PDFDocument {
  let keys = registered.get(doc);
  if (keys === undefined) {
    keys = new Set();
    registered.set(doc, keys);
  }
  if (!keys.has(font.key)) {
    keys.add(font.key);
    // pdfkit accepts a fontkit font object as a font source; its types list only files and bytes.
    doc.registerFont(font.key, documentFont(font) as unknown as Uint8Array);
  }
  return doc.font(font.key);
}

/** Switches to the face of the sheet's own wording; pdfkit embeds only the glyphs used. */
export function mainFace(doc: PDFKit.PDFDocument, weight: SheetWeight): PDFKit.PDFDocument {
  return useFont(doc, mainFont(weight));
}

// Laying the whole piece out at once (pdfkit does so when features are given) lets fontkit
// shape and order a right-to-left phrase as one run instead of word by word.
const wholeRun: PDFKit.Mixins.TextOptions = { features: [], lineBreak: false };

/** Measures text in the style, remembering each word's width (fitting a name measures it often). */
function measurer(doc: PDFKit.PDFDocument, style: NameStyle): (text: string) => number {
  const widths = new Map<string, number>();
  return (text) => {
    let width = widths.get(text);
    if (width === undefined) {
      width = 0;
      for (const piece of pieces(text, style.weight)) {
        useFont(doc, piece.font).fontSize(style.size);
        width += doc.widthOfString(piece.text, wholeRun);
      }
      widths.set(text, width);
    }
    return width;
  };
}

/**
 * Greedy line breaking at word boundaries (Intl.Segmenter finds them in every script, CJK
 * included), and inside a word only when the word alone is wider than a line.
 */
function wrap(text: string, width: number, measure: (text: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  let lineWidth = 0;
  let trailingSpace = 0;
  const endLine = () => {
    if (line.trim() !== '') lines.push(line.trimEnd());
    line = '';
    lineWidth = 0;
    trailingSpace = 0;
  };
  const append = (part: string, partWidth: number) => {
    if (line !== '' && lineWidth + trailingSpace + partWidth > width) endLine();
    line += part;
    lineWidth += trailingSpace + partWidth;
    trailingSpace = 0;
  };
  for (const { segment } of words.segment(text)) {
    if (segment.trim() === '') {
      // Spaces count only once something follows them on the same line.
      if (line !== '') {
        line += segment;
        trailingSpace += measure(segment);
      }
      continue;
    }
    const segmentWidth = measure(segment);
    if (segmentWidth <= width) {
      append(segment, segmentWidth);
      continue;
    }
    for (const { segment: cluster } of graphemes.segment(segment))
      append(cluster, measure(cluster));
  }
  endLine();
  return lines;
}

/**
 * The lines a name is printed on: wrapped within the width, and when it needs more than
 * `maxLines`, shortened in the middle with an ellipsis so that both its start and its end (where
 * names tend to differ: "DESKTOP-…-7F3A") stay on the sheet.
 */
export function fitName(
  doc: PDFKit.PDFDocument,
  text: string,
  style: NameStyle,
  width: number,
  maxLines: number,
): string[] {
  const measure = measurer(doc, style);
  const whole = wrap(text, width, measure);
  if (whole.length <= maxLines) return whole;
  const clusters = Array.from(graphemes.segment(text), ({ segment }) => segment);
  const shortened = (keep: number) => {
    const head = clusters.slice(0, Math.ceil(keep / 2)).join('');
    const tail = clusters.slice(clusters.length - Math.floor(keep / 2)).join('');
    return `${head.trimEnd()}${ellipsis}${tail.trimStart()}`;
  };
  let low = 0;
  let high = clusters.length - 1;
  while (low < high) {
    const keep = Math.ceil((low + high) / 2);
    if (wrap(shortened(keep), width, measure).length <= maxLines) low = keep;
    else high = keep - 1;
  }
  return wrap(shortened(low), width, measure);
}

/** Unicode's rule L2: reverse every run at or above each level, highest first. */
function visualOrder(line: Piece[]): Piece[] {
  const ordered = [...line];
  const levels = ordered.map((piece) => piece.level);
  const levelAt = (index: number) => levels[index] ?? -1;
  const highest = Math.max(0, ...levels);
  const lowestOdd = Math.min(...levels.map((level) => (level % 2 === 1 ? level : level + 1)));
  for (let level = highest; level >= lowestOdd; level--) {
    let start = 0;
    while (start < ordered.length) {
      if (levelAt(start) < level) {
        start++;
        continue;
      }
      let end = start;
      while (end < ordered.length && levelAt(end) >= level) end++;
      ordered.splice(start, end - start, ...ordered.slice(start, end).reverse());
      levels.splice(start, end - start, ...levels.slice(start, end).reverse());
      start = end;
    }
  }
  return ordered;
}

/**
 * The text of a right-to-left piece as drawn left to right: brackets mirrored, and, unless
 * fontkit reverses it itself (it does for Arabic and other right-to-left scripts), reversed.
 */
function rightToLeft(text: string): string {
  const mirrored = Array.from(text, (char) => bidi.getMirroredCharacter(char) ?? char).join('');
  if (hasStrongRtl(text)) return mirrored;
  return Array.from(graphemes.segment(mirrored), ({ segment }) => segment)
    .reverse()
    .join('');
}

/**
 * Prints lines from `fitName`, each in visual (bidi) order with every piece on one baseline.
 * Returns the y below the last line.
 */
export function drawName(
  doc: PDFKit.PDFDocument,
  lines: readonly string[],
  style: NameStyle,
  x: number,
  y: number,
): number {
  const lineBox = style.size * style.lineHeight;
  lines.forEach((line, index) => {
    // The main face's ascent sets the baseline, so that mixed scripts share it.
    const baseline = y + index * lineBox + style.size * 1.07;
    let pieceX = x;
    for (const piece of visualOrder(pieces(line, style.weight))) {
      const text = piece.level % 2 === 1 ? rightToLeft(piece.text) : piece.text;
      useFont(doc, piece.font).fontSize(style.size);
      doc.fillColor(style.colour).text(text, pieceX, baseline, {
        ...wholeRun,
        baseline: 'alphabetic',
      });
      pieceX += doc.widthOfString(text, wholeRun);
    }
  });
  return y + lines.length * lineBox;
}
