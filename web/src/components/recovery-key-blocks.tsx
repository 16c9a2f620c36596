/** The 48 digits as Windows shows them: eight blocks, large and monospaced, for typing. */
export function RecoveryKeyBlocks({ recoveryPassword }: { recoveryPassword: string }) {
  return (
    <p className="recovery-key" translate="no">
      {recoveryPassword.split('-').map((block, index) => (
        <span key={index} className="recovery-block">
          {block}
        </span>
      ))}
    </p>
  );
}
