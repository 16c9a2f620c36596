// The part of fontkit (pdfkit's font engine) the recovery sheet uses; fontkit ships no types.
declare module 'fontkit' {
  export interface Font {
    readonly postscriptName: string | null;
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export function create(buffer: Uint8Array): Font;
}
