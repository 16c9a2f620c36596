import { escapeForTerminal, printJson, printLine } from '../output.js';
import { defaultStateDir, readState } from './state.js';
import { terminalLanguage } from '../../text/terminal-language.js';

export interface AgentStatusFlags {
  stateDir?: string;
  json?: boolean;
}

/** What the agent last did, from its state alone (no network): for people and monitoring. */
export async function runAgentStatus(flags: AgentStatusFlags): Promise<void> {
  const dir = flags.stateDir ?? defaultStateDir();
  const state = await readState(dir);
  const summary = {
    server: state.server,
    enrolledDeviceId: state.enrolledDeviceId,
    deviceName: state.deviceName,
    organisation: state.organisation.name,
    escrowedKeys: Object.keys(state.escrowed).length,
    pendingKeys: state.pending.map((key) => ({
      drive: key.drive,
      step: key.step,
      ...(key.keyId ? { keyId: key.keyId } : {}),
      ...(key.replaces ? { replaces: key.replaces } : {}),
    })),
    luksVolumes: (state.luks ?? []).map((volume) => ({
      device: volume.device,
      uuid: volume.uuid,
      recoverySlot: volume.recovery?.slot ?? null,
    })),
    lastRun: state.lastRun ?? null,
    failures: state.failures,
    retryAfter: state.retryAfter ?? null,
  };
  if (flags.json) {
    printJson(summary);
    return;
  }
  const nb = terminalLanguage() === 'nb';
  const lines = nb
    ? [
        `Server:          ${summary.server}`,
        `Enhet:           ${escapeForTerminal(summary.deviceName)} (${escapeForTerminal(summary.organisation)})`,
        `Deponerte:       ${summary.escrowedKeys}`,
        `Venter:          ${summary.pendingKeys.length}`,
        `Siste kjøring:   ${summary.lastRun ? `${summary.lastRun.at} ${summary.lastRun.outcome}` : 'aldri'}`,
      ]
    : [
        `Server:          ${summary.server}`,
        `Device:          ${escapeForTerminal(summary.deviceName)} (${escapeForTerminal(summary.organisation)})`,
        `Escrowed keys:   ${summary.escrowedKeys}`,
        `Pending keys:    ${summary.pendingKeys.length}`,
        `Last run:        ${summary.lastRun ? `${summary.lastRun.at} ${summary.lastRun.outcome}` : 'never'}`,
      ];
  for (const volume of summary.luksVolumes) {
    const slot = volume.recoverySlot === null ? '-' : String(volume.recoverySlot);
    lines.push(
      nb
        ? `LUKS:            ${escapeForTerminal(volume.device)} (${volume.uuid}), gjenopprettingsplass ${slot}`
        : `LUKS:            ${escapeForTerminal(volume.device)} (${volume.uuid}), recovery slot ${slot}`,
    );
  }
  if (summary.lastRun?.message)
    lines.push(`                 ${escapeForTerminal(summary.lastRun.message)}`);
  if (summary.retryAfter)
    lines.push(`${nb ? 'Neste forsøk:' : 'Next attempt:'}    ${summary.retryAfter}`);
  for (const line of lines) printLine(line);
}
