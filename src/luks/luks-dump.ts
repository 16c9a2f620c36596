/**
 * Reads what `cryptsetup luksDump` prints about a LUKS volume: its version, UUID and the key
 * slots in use. Text in, values out; running cryptsetup is the agent's business. The layout is
 * the one cryptsetup 2.x prints (a "Keyslots:" section whose entries start "  N: luks2"), and
 * anything else is refused rather than guessed at, so a changed format never passes for a volume
 * with no slots.
 */

export class LuksDumpError extends Error {}

export interface LuksHeader {
  version: number;
  /** The volume's LUKS UUID in lower case, as `cryptsetup luksUUID` prints it. */
  uuid: string;
  /** The key slots in use, ascending. */
  keySlots: number[];
}

/** LUKS2 has 32 key slots (0-31); LUKS1 has 8. */
export const luks2KeySlots = 32;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function field(lines: string[], name: string): string | undefined {
  const prefix = `${name}:`;
  const line = lines.find((candidate) => candidate.startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/** The lines of one top-level section ("Keyslots:"), up to the next line that starts a section. */
function section(lines: string[], name: string): string[] | undefined {
  const start = lines.indexOf(`${name}:`);
  if (start < 0) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line !== '' && !/^\s/.test(line));
  return end < 0 ? rest : rest.slice(0, end);
}

export function parseLuksDump(text: string): LuksHeader {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (!lines.some((line) => line.startsWith('LUKS header information'))) {
    throw new LuksDumpError('this is not the output of cryptsetup luksDump');
  }
  const version = Number(field(lines, 'Version'));
  const uuid = field(lines, 'UUID')?.toLowerCase() ?? '';
  if (!Number.isInteger(version)) throw new LuksDumpError('the dump names no LUKS version');
  if (!uuidPattern.test(uuid)) throw new LuksDumpError('the dump names no valid UUID');
  if (version !== 2) return { version, uuid, keySlots: [] };

  const slots = section(lines, 'Keyslots');
  if (!slots) throw new LuksDumpError('the dump has no Keyslots section');
  const keySlots = slots.flatMap((line) => {
    const entry = /^ {2}(\d+): \S+/.exec(line);
    return entry ? [Number(entry[1])] : [];
  });
  if (keySlots.some((slot) => slot >= luks2KeySlots)) {
    throw new LuksDumpError(`a key slot above ${luks2KeySlots - 1} is listed`);
  }
  return { version, uuid, keySlots: [...new Set(keySlots)].sort((a, b) => a - b) };
}

/** The lowest key slot not in use (and not in `reserved`), or undefined when all are taken. */
export function firstFreeKeySlot(used: number[], reserved: number[] = []): number | undefined {
  for (let slot = 0; slot < luks2KeySlots; slot++) {
    if (!used.includes(slot) && !reserved.includes(slot)) return slot;
  }
  return undefined;
}
