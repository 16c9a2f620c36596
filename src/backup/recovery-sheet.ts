import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { parseProtectorId } from '../bitlocker/protector-id.js';
import { RecoveryPasswordError, parseRecoveryPassword } from '../bitlocker/recovery-password.js';
import { parseLuksRecoveryPassphrase } from '../luks/recovery-passphrase.js';
import { BackupError } from './errors.js';
import { backupErrorMessages } from './messages.js';
import { drawName, fitName, mainFace, type NameStyle } from './sheet-text.js';

export type SheetLanguage = 'en' | 'nb';
export type SheetPaper = 'a4' | 'letter';
export type SheetVolumeType = 'os' | 'fixed' | 'removable';

export interface RecoverySheetInput {
  protectorId: string;
  recoveryPassword: string;
  deviceName?: string;
  /** Drive letter, mount point or volume label, as the person knows the drive. */
  volumeLabel?: string;
  volumeType?: SheetVolumeType;
  /** When the key was saved (to the library, a file...); shown as the sheet's date. */
  createdAt?: Date | string;
  lang: SheetLanguage;
  paper: SheetPaper;
  /**
   * For a LUKS key: the volume's LUKS UUID and key slot. The sheet then names the volume by its
   * UUID and `recoveryPassword` is the recovery passphrase, typed at the passphrase prompt.
   */
  luks?: { uuid: string; slot: number };
}

interface SheetWording {
  title: string;
  subtitle: string;
  keyIdLabel: string;
  /** Text before and after the 8-character short ID. */
  shortIdHint: [string, string];
  deviceLabel: string;
  driveLabel: string;
  savedLabel: string;
  volumeTypes: Record<SheetVolumeType, string>;
  recoveryKeyLabel: string;
  qrCaption: string;
  qrIdLabel: string;
  qrKeyLabel: string;
  stepsHeading: string;
  steps: string[];
  warningHeading: string;
  warning: string;
  notesLabel: string;
  printed: string;
  dateLocale: Record<SheetPaper, string>;
}

// Our own wording; the steps follow what the recovery screen asks for, in its order.
const wording: Record<SheetLanguage, SheetWording> = {
  en: {
    title: 'BitLocker recovery key',
    subtitle: 'The key that unlocks this drive when Windows asks for it at startup.',
    keyIdLabel: 'KEY ID',
    shortIdHint: ['The recovery screen shows only the first 8 characters: ', '.'],
    deviceLabel: 'Device',
    driveLabel: 'Drive',
    savedLabel: 'Saved',
    volumeTypes: {
      os: 'operating system drive',
      fixed: 'fixed data drive',
      removable: 'removable data drive',
    },
    recoveryKeyLabel: 'RECOVERY KEY',
    qrCaption: 'Scan to copy the Key ID and the recovery key',
    qrIdLabel: 'Key ID',
    qrKeyLabel: 'Recovery key',
    stepsHeading: 'At the BitLocker recovery screen',
    steps: [
      'Compare the Key ID on the screen with the 8 highlighted characters above. If they differ, this sheet belongs to another drive: find the sheet or file whose Key ID matches.',
      'Type the 48 digits of the recovery key. Windows moves on to the next group by itself. If the number keys do nothing, use the function keys F1 to F10 (F10 is 0).',
      'Press Enter. Windows unlocks the drive and starts as usual.',
    ],
    warningHeading: 'Keep this sheet away from the computer',
    warning:
      'Anyone who has this key can read everything on the drive. Store the sheet somewhere safe, such as with your important papers, and never in the laptop bag or taped to the computer.',
    notesLabel: 'NOTES',
    printed: 'Printed',
    dateLocale: { a4: 'en-GB', letter: 'en-US' },
  },
  nb: {
    title: 'BitLocker-gjenopprettingsnøkkel',
    subtitle: 'Nøkkelen som låser opp stasjonen når Windows ber om den ved oppstart.',
    keyIdLabel: 'NØKKEL-ID',
    shortIdHint: ['Gjenopprettingsskjermen viser bare de 8 første tegnene: ', '.'],
    deviceLabel: 'Enhet',
    driveLabel: 'Stasjon',
    savedLabel: 'Lagret',
    volumeTypes: {
      os: 'operativsystemstasjon',
      fixed: 'fast datastasjon',
      removable: 'flyttbar datastasjon',
    },
    recoveryKeyLabel: 'GJENOPPRETTINGSNØKKEL',
    qrCaption: 'Skann for å kopiere nøkkel-ID-en og gjenopprettingsnøkkelen',
    qrIdLabel: 'Nøkkel-ID',
    qrKeyLabel: 'Gjenopprettingsnøkkel',
    stepsHeading: 'På BitLocker-gjenopprettingsskjermen',
    steps: [
      'Sammenlign nøkkel-ID-en på skjermen med de 8 uthevede tegnene over. Er de ulike, hører arket til en annen stasjon: finn arket eller filen med samme nøkkel-ID.',
      'Skriv inn de 48 sifrene i gjenopprettingsnøkkelen. Windows går videre til neste gruppe av seg selv. Hvis talltastene ikke virker, bruker du funksjonstastene F1 til F10 (F10 er 0).',
      'Trykk Enter. Windows låser opp stasjonen og starter som vanlig.',
    ],
    warningHeading: 'Oppbevar arket atskilt fra datamaskinen',
    warning:
      'Alle som har denne nøkkelen, kan lese alt på stasjonen. Legg arket et trygt sted, for eksempel sammen med viktige papirer, og aldri i PC-vesken eller teipet fast på maskinen.',
    notesLabel: 'NOTATER',
    printed: 'Skrevet ut',
    dateLocale: { a4: 'nb-NO', letter: 'nb-NO' },
  },
};

/** The LUKS sheet: the same layout, with the volume's UUID where BitLocker has the Key ID. */
function luksWording(lang: SheetLanguage, slot: number): SheetWording {
  const base = wording[lang];
  if (lang === 'nb') {
    return {
      ...base,
      title: 'LUKS-gjenopprettingspassfrase',
      subtitle:
        'Passfrasen som låser opp det krypterte Linux-volumet når det ber om en ved oppstart.',
      keyIdLabel: 'LUKS-UUID',
      shortIdHint: [
        `Nøkkelplass ${slot}. cryptsetup luksUUID viser UUID-en; den begynner med `,
        '.',
      ],
      recoveryKeyLabel: 'GJENOPPRETTINGSPASSFRASE',
      qrCaption: 'Skann for å kopiere UUID-en og passfrasen',
      qrIdLabel: 'LUKS-UUID',
      qrKeyLabel: 'Passfrase',
      stepsHeading: 'Når datamaskinen ber om passfrasen',
      steps: [
        'Kontroller at volumet er det samme: UUID-en over skal være den cryptsetup luksUUID viser for det (eller den som står i /etc/crypttab).',
        'Skriv passfrasen nøyaktig slik den står, med de 40 sifrene og bindestrekene mellom gruppene.',
        'Trykk Enter. Volumet låses opp; legg deretter inn en ny passfrase du selv husker.',
      ],
    };
  }
  return {
    ...base,
    title: 'LUKS recovery passphrase',
    subtitle:
      'The passphrase that unlocks this encrypted Linux volume when it asks for one at startup.',
    keyIdLabel: 'LUKS UUID',
    shortIdHint: [`Key slot ${slot}. cryptsetup luksUUID shows the UUID; it starts with `, '.'],
    recoveryKeyLabel: 'RECOVERY PASSPHRASE',
    qrCaption: 'Scan to copy the UUID and the passphrase',
    qrIdLabel: 'LUKS UUID',
    qrKeyLabel: 'Passphrase',
    stepsHeading: 'When the computer asks for the passphrase',
    steps: [
      'Check it is the same volume: the UUID above is the one cryptsetup luksUUID shows for it (or the one in /etc/crypttab).',
      'Type the passphrase exactly as printed: the 40 digits with the dashes between the groups.',
      'Press Enter. The volume unlocks; then set a new passphrase of your own that you remember.',
    ],
  };
}

const colour = {
  ink: '#1a1f26',
  muted: '#5d6673',
  rule: '#d5dae1',
  accent: '#0b5cad',
  highlight: '#ffe98a',
  keyBox: '#f2f5f9',
  warningInk: '#8a1c1c',
  warningFill: '#fdeeee',
  warningRule: '#c43c3c',
};

const margin = 54;
const qrSide = 120;
const qrQuietZone = 14;

/**
 * The text the sheet's QR code holds: the Key ID and the recovery key on labelled lines, which
 * `keyhold read` (and a person reading a phone's scan) understands.
 */
export function recoverySheetQrText(input: {
  protectorId: string;
  recoveryPassword: string;
  lang: SheetLanguage;
}): string {
  const words = wording[input.lang];
  return [
    `BitLocker`,
    `${words.qrIdLabel}: ${parseProtectorId(input.protectorId)}`,
    `${words.qrKeyLabel}: ${normalizedPassword(input.recoveryPassword)}`,
  ].join('\n');
}

function normalizedPassword(recoveryPassword: string): string {
  const parsed = parseRecoveryPassword(recoveryPassword);
  if (!parsed.valid) throw new RecoveryPasswordError(parsed.errors);
  return parsed.normalized;
}

function luksPassphrase(text: string): string {
  const passphrase = parseLuksRecoveryPassphrase(text);
  if (passphrase === undefined) {
    throw new BackupError('invalid-input', backupErrorMessages.notALuksPassphrase);
  }
  return passphrase;
}

function formatDate(value: Date | string, words: SheetWording, paper: SheetPaper): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new BackupError('invalid-input', backupErrorMessages.notADate(JSON.stringify(value)));
  }
  return new Intl.DateTimeFormat(words.dateLocale[paper], { dateStyle: 'long' }).format(date);
}

function nonBlank(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === '' ? undefined : trimmed;
}

function describeDrive(input: RecoverySheetInput, words: SheetWording): string | undefined {
  const parts = [
    nonBlank(input.volumeLabel),
    input.volumeType === undefined ? undefined : words.volumeTypes[input.volumeType],
  ];
  const known = parts.filter((part) => part !== undefined);
  return known.length > 0 ? known.join(' · ') : undefined;
}

/** The QR modules as filled runs per row, so neighbouring modules print without seams. */
function drawQrCode(doc: PDFKit.PDFDocument, text: string, x: number, y: number): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const module = qrSide / size;
  for (let row = 0; row < size; row++) {
    let runStart = -1;
    for (let col = 0; col <= size; col++) {
      const dark = col < size && qr.modules.get(row, col) === 1;
      if (dark && runStart < 0) runStart = col;
      if (!dark && runStart >= 0) {
        doc.rect(x + runStart * module, y + row * module, (col - runStart) * module, module);
        runStart = -1;
      }
    }
  }
  doc.fillColor('#000000').fill();
}

function sectionLabel(doc: PDFKit.PDFDocument, text: string, x: number, y: number): number {
  mainFace(doc, 700).fontSize(8.5).fillColor(colour.muted);
  doc.text(text, x, y, { characterSpacing: 1.2, lineBreak: false });
  return y + 14;
}

function drawKeyId(
  doc: PDFKit.PDFDocument,
  protectorId: string,
  x: number,
  y: number,
  words: SheetWording,
  width: number,
): number {
  const shortId = protectorId.slice(0, 8);
  const fontSize = 15;
  doc.font('Courier-Bold').fontSize(fontSize);
  const shortWidth = doc.widthOfString(shortId);
  doc
    .roundedRect(x - 3, y - 3, shortWidth + 6, fontSize + 4, 2)
    .fillColor(colour.highlight)
    .fill();
  doc.fillColor(colour.ink).text(shortId, x, y, { continued: true, lineBreak: false });
  doc.font('Courier').fillColor(colour.muted).text(protectorId.slice(8), { lineBreak: false });

  const hintY = y + fontSize + 8;
  const [before, after] = words.shortIdHint;
  mainFace(doc, 400).fontSize(9.5).fillColor(colour.muted);
  doc.text(before, x, hintY, { continued: true, width });
  mainFace(doc, 700).fillColor(colour.ink).text(shortId, { continued: true });
  mainFace(doc, 400).fillColor(colour.muted).text(after);
  return doc.y;
}

const detailValueStyle: NameStyle = {
  size: 11,
  weight: 700,
  colour: colour.ink,
  lineHeight: 1.3,
};
/** A longer device name or drive label is shortened in the middle to fit these lines. */
const detailMaxLines = 3;

function drawDetails(
  doc: PDFKit.PDFDocument,
  rows: readonly (readonly [label: string, value: string | undefined])[],
  x: number,
  y: number,
  width: number,
): number {
  const labelWidth = 62;
  let rowY = y;
  for (const [label, value] of rows) {
    mainFace(doc, 400).fontSize(9.5).fillColor(colour.muted);
    doc.text(label, x, rowY + 1, { width: labelWidth, lineBreak: false });
    const valueX = x + labelWidth;
    const valueWidth = width - labelWidth;
    if (value === undefined) {
      // Left blank on purpose: a line to fill in by hand.
      doc
        .moveTo(valueX, rowY + 12)
        .lineTo(valueX + Math.min(valueWidth, 220), rowY + 12)
        .lineWidth(0.6)
        .strokeColor(colour.rule)
        .stroke();
      rowY += 20;
    } else {
      // Names come in every script and any length: each character is set in a font that has
      // it, and the value stays inside its column.
      const lines = fitName(doc, value, detailValueStyle, valueWidth, detailMaxLines);
      rowY = Math.max(drawName(doc, lines, detailValueStyle, valueX, rowY - 1), rowY + 14) + 6;
    }
  }
  return rowY;
}

function drawRecoveryKey(
  doc: PDFKit.PDFDocument,
  password: string,
  x: number,
  y: number,
  width: number,
): number {
  const blocks = password.split('-');
  const perRow = 4;
  const gap = 12;
  const boxWidth = (width - gap * (perRow - 1)) / perRow;
  const boxHeight = 60;
  const fontSize = 26;
  blocks.forEach((block, index) => {
    const boxX = x + (index % perRow) * (boxWidth + gap);
    const boxY = y + Math.floor(index / perRow) * (boxHeight + gap);
    doc.roundedRect(boxX, boxY, boxWidth, boxHeight, 5).fillColor(colour.keyBox).fill();
    doc
      .roundedRect(boxX, boxY, boxWidth, boxHeight, 5)
      .lineWidth(0.8)
      .strokeColor(colour.rule)
      .stroke();
    mainFace(doc, 400).fontSize(7.5).fillColor(colour.muted);
    doc.text(String(index + 1), boxX + 7, boxY + 6, { lineBreak: false });
    doc.font('Courier-Bold').fontSize(fontSize).fillColor(colour.ink);
    const textWidth = doc.widthOfString(block);
    // Courier's digits sit low in its line box; this centres the digits themselves.
    doc.text(block, boxX + (boxWidth - textWidth) / 2, boxY + (boxHeight - fontSize) / 2 + 6, {
      lineBreak: false,
    });
  });
  const rows = Math.ceil(blocks.length / perRow);
  return y + rows * boxHeight + (rows - 1) * gap;
}

function drawSteps(
  doc: PDFKit.PDFDocument,
  words: SheetWording,
  x: number,
  y: number,
  width: number,
): number {
  mainFace(doc, 700).fontSize(12).fillColor(colour.ink);
  doc.text(words.stepsHeading, x, y, { width });
  let stepY = doc.y + 8;
  const badge = 16;
  const textX = x + badge + 10;
  words.steps.forEach((step, index) => {
    doc
      .circle(x + badge / 2, stepY + badge / 2 - 2, badge / 2)
      .fillColor(colour.accent)
      .fill();
    mainFace(doc, 700).fontSize(9).fillColor('#ffffff');
    doc.text(String(index + 1), x, stepY + 2, { width: badge, align: 'center', lineBreak: false });
    mainFace(doc, 400).fontSize(10.5).fillColor(colour.ink);
    doc.text(step, textX, stepY, { width: width - (textX - x), lineGap: 2 });
    stepY = doc.y + 8;
  });
  return stepY;
}

function drawWarning(
  doc: PDFKit.PDFDocument,
  words: SheetWording,
  x: number,
  y: number,
  width: number,
): number {
  const padding = 14;
  const iconSize = 22;
  const textX = x + padding + iconSize + 12;
  const textWidth = width - (textX - x) - padding;
  mainFace(doc, 700).fontSize(12);
  const headingHeight = doc.heightOfString(words.warningHeading, { width: textWidth });
  mainFace(doc, 400).fontSize(10);
  const bodyHeight = doc.heightOfString(words.warning, { width: textWidth, lineGap: 2 });
  const height = padding * 2 + headingHeight + 4 + bodyHeight;

  doc.roundedRect(x, y, width, height, 6).fillColor(colour.warningFill).fill();
  doc.rect(x, y, 4, height).fillColor(colour.warningRule).fill();
  const iconX = x + padding + iconSize / 2;
  const iconY = y + padding + iconSize / 2 - 2;
  doc
    .circle(iconX, iconY, iconSize / 2)
    .fillColor(colour.warningRule)
    .fill();
  mainFace(doc, 700).fontSize(15).fillColor('#ffffff');
  doc.text('!', iconX - iconSize / 2, iconY - 7, {
    width: iconSize,
    align: 'center',
    lineBreak: false,
  });

  mainFace(doc, 700).fontSize(12).fillColor(colour.warningInk);
  doc.text(words.warningHeading, textX, y + padding, { width: textWidth });
  mainFace(doc, 400).fontSize(10).fillColor(colour.ink);
  doc.text(words.warning, textX, doc.y + 4, { width: textWidth, lineGap: 2 });
  return y + height;
}

/** Ruled lines for handwriting (where the other copies are, say), as many as fit. */
function drawNotes(
  doc: PDFKit.PDFDocument,
  label: string,
  x: number,
  y: number,
  width: number,
  bottom: number,
): void {
  const lineSpacing = 24;
  const firstLine = y + 14 + lineSpacing;
  const lines = Math.min(4, Math.floor((bottom - firstLine) / lineSpacing) + 1);
  if (lines < 2) return;
  sectionLabel(doc, label, x, y);
  for (let line = 0; line < lines; line++) {
    const lineY = firstLine + line * lineSpacing;
    doc.moveTo(x, lineY).lineTo(x + width, lineY);
  }
  doc.lineWidth(0.6).strokeColor(colour.rule).stroke();
}

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    doc.on('error', reject);
  });
}

/**
 * The printable recovery key sheet: one A4 or Letter page with the Key ID (its first 8
 * characters, the ones the recovery screen shows, highlighted), the recovery key in large
 * numbered blocks, what the key belongs to, a QR code holding ID and key, what to do at the
 * recovery screen, and the warning to keep the sheet away from the computer.
 */
export async function renderRecoverySheet(input: RecoverySheetInput): Promise<Buffer> {
  const words = input.luks ? luksWording(input.lang, input.luks.slot) : wording[input.lang];
  // A LUKS volume is named by its UUID, which is what cryptsetup and /etc/crypttab show.
  const protectorId = input.luks ? input.luks.uuid : parseProtectorId(input.protectorId);
  const password = input.luks
    ? luksPassphrase(input.recoveryPassword)
    : normalizedPassword(input.recoveryPassword);

  const doc = new PDFDocument({
    size: input.paper === 'a4' ? 'A4' : 'LETTER',
    margins: { top: margin, bottom: 20, left: margin, right: margin },
    lang: input.lang === 'nb' ? 'nb-NO' : 'en',
    displayTitle: true,
    // The title is only the short ID: a PDF viewer or print queue shows it to anyone looking.
    info: { Title: `${words.title} ${protectorId.slice(0, 8)}`, Creator: 'Keyhold' },
  });
  const done = collect(doc);

  const pageWidth = doc.page.width;
  const pageHeight = doc.page.height;
  const contentWidth = pageWidth - 2 * margin;
  const qrX = pageWidth - margin - qrSide;
  const leftWidth = qrX - margin - qrQuietZone - 8;

  drawQrCode(
    doc,
    input.luks
      ? ['LUKS', `${words.qrIdLabel}: ${protectorId}`, `${words.qrKeyLabel}: ${password}`].join(
          '\n',
        )
      : recoverySheetQrText({ protectorId, recoveryPassword: password, lang: input.lang }),
    qrX,
    margin,
  );
  mainFace(doc, 400).fontSize(7.5).fillColor(colour.muted);
  doc.text(words.qrCaption, qrX - 6, margin + qrSide + 8, { width: qrSide + 12, align: 'center' });

  // The title keeps to one line: Bokmål's one long compound word would otherwise break at its
  // hyphen.
  mainFace(doc, 700).fontSize(22).fillColor(colour.ink);
  doc.fontSize(Math.min(22, (22 * leftWidth) / doc.widthOfString(words.title)));
  doc.text(words.title, margin, margin - 4, { width: leftWidth, lineBreak: false });
  mainFace(doc, 400).fontSize(10.5).fillColor(colour.muted);
  doc.text(words.subtitle, margin, doc.y + 2, { width: leftWidth });

  let y = sectionLabel(doc, words.keyIdLabel, margin, doc.y + 18);
  y = drawKeyId(doc, protectorId, margin, y + 4, words, leftWidth);
  y = drawDetails(
    doc,
    [
      [words.deviceLabel, nonBlank(input.deviceName)],
      [words.driveLabel, describeDrive(input, words)],
      ...(input.createdAt === undefined
        ? []
        : [[words.savedLabel, formatDate(input.createdAt, words, input.paper)] as const]),
    ],
    margin,
    y + 14,
    leftWidth,
  );

  y = Math.max(y, doc.y, margin + qrSide + 34) + 14;
  doc
    .moveTo(margin, y)
    .lineTo(pageWidth - margin, y)
    .lineWidth(0.8)
    .strokeColor(colour.rule)
    .stroke();

  y = sectionLabel(doc, words.recoveryKeyLabel, margin, y + 18);
  y = drawRecoveryKey(doc, password, margin, y + 4, contentWidth);
  y = drawSteps(doc, words, margin, y + 28, contentWidth);
  y = drawWarning(doc, words, margin, y + 12, contentWidth);
  const footerY = pageHeight - margin + 10;
  drawNotes(doc, words.notesLabel, margin, y + 28, contentWidth, footerY - 24);

  const footer = `${words.printed} ${formatDate(new Date(), words, input.paper)} · Keyhold`;
  mainFace(doc, 400).fontSize(8).fillColor(colour.muted);
  doc.text(footer, margin, footerY, { width: contentWidth, lineBreak: false });

  doc.end();
  return done;
}
