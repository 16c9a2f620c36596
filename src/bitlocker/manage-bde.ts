import { BitLockerFormatError } from './errors.js';
import { bitLockerMessages } from './messages.js';
import { parseProtectorId, type ProtectorType } from './protector-id.js';
import { findRecoveryPasswords } from './recovery-password.js';

/** Thrown for text that is not `manage-bde` output. */
export class ManageBdeError extends BitLockerFormatError {}

export interface ManageBdeProtector {
  id: string;
  type: ProtectorType;
  /** The heading as printed, in the language of the Windows that printed it. */
  heading: string;
  recoveryPassword?: string;
  /** For external keys: the .BEK file name. */
  keyFileName?: string;
}

export interface ManageBdeVolume {
  /** `C:`, a folder mount point or `\\?\Volume{...}\`; absent when the output names no volume. */
  mountPoint?: string;
  label?: string;
  protectors: ManageBdeProtector[];
}

export interface ManageBdeStatusField {
  label: string;
  value: string | string[];
}

export interface ManageBdeStatusVolume {
  mountPoint: string;
  label: string;
  /** The bracketed line under the heading, e.g. `OS Volume`, `Data Volume`. */
  role?: string;
  fields: ManageBdeStatusField[];
  /** The protector types listed under "Key Protectors" (the one field that is a list). */
  keyProtectorTypes: ProtectorType[];
}

const guid = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
/** `Volume C: [Windows]`, `Volume "C:" [OS]` (German), `卷 C: [标签]`, `Volume \\?\Volume{...}\ [x]`. */
const volumeHeading = new RegExp(
  `^\\S[^"]*?\\s"?((?:[A-Za-z]:(?:\\\\[^"[\\]]*)?)|(?:\\\\\\\\\\?\\\\Volume\\{${guid}\\}\\\\?))"?\\s*\\[([^\\]]*)\\]\\s*$`,
);
/** `      ID: {GUID}`: the label is localised, the braces are not. */
const idLine = new RegExp(`^(\\s+)\\S[^{}]*?:\\s*\\{(${guid})\\}\\s*$`);
/** Real output lines are short; longer ones are skipped so hostile input stays linear. */
const maxLineLength = 512;
const bekName = new RegExp(`${guid}\\.BEK`, 'i');

// Headings as printed by English, German, French and Norwegian Windows. Other languages still
// work: the block's content (a password, a .BEK name) tells the type.
const headingTypes: Record<string, ProtectorType> = {
  'numerical password': 'recovery-password',
  'external key': 'external-key',
  password: 'password',
  tpm: 'tpm',
  'tpm and pin': 'tpm-pin',
  'tpm and startup key': 'tpm-startup-key',
  'tpm and pin and startup key': 'tpm-pin-startup-key',
  'tpm and network key': 'tpm-network-key',
  'data recovery agent': 'certificate',
  certificate: 'certificate',
  'smart card': 'certificate',
  'numerisches kennwort': 'recovery-password',
  'externer schlüssel': 'external-key',
  kennwort: 'password',
  'tpm und pin': 'tpm-pin',
  'tpm und systemstartschlüssel': 'tpm-startup-key',
  'tpm und pin und systemstartschlüssel': 'tpm-pin-startup-key',
  'mot de passe numérique': 'recovery-password',
  'clé externe': 'external-key',
  'mot de passe': 'password',
  'tpm et code confidentiel': 'tpm-pin',
  'numerisk passord': 'recovery-password',
  'ekstern nøkkel': 'external-key',
  passord: 'password',
  'tpm og pin-kode': 'tpm-pin',
};

/** The protector type a heading names, from the words alone (parentheses ignored). */
export function protectorTypeFromHeading(heading: string): ProtectorType | undefined {
  const key = heading
    .replace(/\(.*\)/g, '')
    .replace(/\s*:\s*$/, '')
    .trim()
    .toLowerCase();
  return headingTypes[key];
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)?.[0].length ?? 0;
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).map((line) => (line.length > maxLineLength ? '' : line));
}

/** An indented `Label:   value` line, split at its first colon. */
function fieldOf(line: string): { label: string; value: string } | undefined {
  const colon = line.indexOf(':');
  if (colon < 0 || indentOf(line) === 0) return undefined;
  const label = line.slice(0, colon).trim();
  return label === '' ? undefined : { label, value: line.slice(colon + 1).trim() };
}

/** Which kind of manage-bde output a text is, if any. */
export function manageBdeOutputKind(text: string): 'protectors' | 'status' | undefined {
  const lines = splitLines(text);
  if (lines.some((line) => idLine.test(line))) return 'protectors';
  const heading = lines.findIndex((line) => volumeHeading.test(line));
  if (heading < 0) return undefined;
  const fields = lines.slice(heading + 1, heading + 20).filter((line) => fieldOf(line));
  return fields.length >= 3 ? 'status' : undefined;
}

/**
 * Reads `manage-bde -protectors -get <volume>` output, one or several runs in a row, in any
 * display language: volumes by their heading line, protectors by their `{GUID}` line.
 */
export function parseManageBdeProtectors(text: string): ManageBdeVolume[] {
  const lines = splitLines(text);
  const volumes: ManageBdeVolume[] = [];
  let current: ManageBdeVolume | undefined;
  lines.forEach((line, index) => {
    const heading = volumeHeading.exec(line);
    if (heading) {
      current = { mountPoint: heading[1] ?? '', label: heading[2] ?? '', protectors: [] };
      volumes.push(current);
      return;
    }
    const id = idLine.exec(line);
    if (!id) return;
    const idIndent = id[1]?.length ?? 0;
    let headingIndex = index - 1;
    while (headingIndex >= 0) {
      const candidate = lines[headingIndex] ?? '';
      if (candidate.trim() !== '' && indentOf(candidate) < idIndent) break;
      headingIndex--;
    }
    const headingLine = lines[headingIndex] ?? '';
    const headingIndent = headingIndex >= 0 ? indentOf(headingLine) : -1;
    let end = index + 1;
    while (end < lines.length) {
      const next = lines[end] ?? '';
      if (next.trim() !== '' && (indentOf(next) <= headingIndent || idLine.test(next))) break;
      end++;
    }
    const block = lines.slice(index + 1, end).join('\n');
    const [recoveryPassword] = findRecoveryPasswords(block);
    const keyFileName = bekName.exec(block)?.[0];
    const headingText = headingLine.trim().replace(/\s*:\s*$/, '');
    const type =
      protectorTypeFromHeading(headingText) ??
      (recoveryPassword ? 'recovery-password' : keyFileName ? 'external-key' : 'unknown');
    const protector: ManageBdeProtector = {
      id: parseProtectorId(id[2] ?? ''),
      type,
      heading: headingText,
    };
    if (recoveryPassword && type === 'recovery-password')
      protector.recoveryPassword = recoveryPassword;
    if (keyFileName) protector.keyFileName = keyFileName.toUpperCase();
    if (!current) {
      current = { protectors: [] };
      volumes.push(current);
    }
    current.protectors.push(protector);
  });
  const found = volumes.filter((volume) => volume.protectors.length > 0);
  if (found.length === 0) {
    throw new ManageBdeError('no-protectors', bitLockerMessages.mbNoProtectors);
  }
  return found;
}

/**
 * Reads `manage-bde -protectors -add <volume> -RecoveryPassword <password>` output, in any
 * display language: the recovery password protector it added. The "ACTIONS REQUIRED" note below
 * the protector repeats the password outside any protector block and is not counted.
 */
export function parseManageBdeAddedRecoveryPassword(text: string): {
  id: string;
  recoveryPassword: string;
} {
  const added = parseManageBdeProtectors(text)
    .flatMap((volume) => volume.protectors)
    .flatMap((protector) =>
      protector.type === 'recovery-password' && protector.recoveryPassword
        ? [{ id: protector.id, recoveryPassword: protector.recoveryPassword }]
        : [],
    );
  const [only] = added;
  if (added.length !== 1 || !only) {
    throw new ManageBdeError(
      'no-added-recovery-password',
      bitLockerMessages.mbAddedPasswordCount(added.length),
    );
  }
  return only;
}

/** Reads `manage-bde -status` output: one entry per volume, fields as printed. */
export function parseManageBdeStatus(text: string): ManageBdeStatusVolume[] {
  const lines = splitLines(text);
  const volumes: ManageBdeStatusVolume[] = [];
  let current: ManageBdeStatusVolume | undefined;
  let listField: { indent: number; values: string[] } | undefined;
  for (const line of lines) {
    const heading = volumeHeading.exec(line);
    if (heading) {
      current = {
        mountPoint: heading[1] ?? '',
        label: heading[2] ?? '',
        fields: [],
        keyProtectorTypes: [],
      };
      volumes.push(current);
      listField = undefined;
      continue;
    }
    if (!current || line.trim() === '') continue;
    const indent = indentOf(line);
    if (indent === 0) {
      const role = /^\[(.+)\]\s*$/.exec(line);
      if (role && current.fields.length === 0) current.role = role[1] ?? '';
      listField = undefined;
      continue;
    }
    if (listField && indent > listField.indent) {
      listField.values.push(line.trim());
      continue;
    }
    const field = fieldOf(line);
    if (!field) continue;
    if (field.value === '') {
      const values: string[] = [];
      listField = { indent, values };
      current.fields.push({ label: field.label, value: values });
    } else {
      listField = undefined;
      current.fields.push(field);
    }
  }
  if (volumes.length === 0) {
    throw new ManageBdeError('no-volumes', bitLockerMessages.mbNoVolumes);
  }
  for (const volume of volumes) {
    const list = volume.fields.find((field) => Array.isArray(field.value));
    if (list && Array.isArray(list.value)) {
      volume.keyProtectorTypes = list.value.map(
        (name) => protectorTypeFromHeading(name) ?? 'unknown',
      );
    }
  }
  return volumes;
}
