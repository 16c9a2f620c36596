import { useTranslation } from 'react-i18next';

/**
 * A Key ID with its first 8 characters emphasised: those are what the blue recovery screen
 * shows, so they are what a person compares. A LUKS key is named by its volume's LUKS UUID and
 * key slot instead, which is what `cryptsetup luksUUID` and `luksDump` show.
 */
export function KeyId({
  protectorId,
  luks,
  className,
}: {
  protectorId: string;
  luks?: { uuid: string; slot: number } | null;
  className?: string;
}) {
  const { t } = useTranslation();
  const shown = luks ? luks.uuid : protectorId;
  return (
    <span className={className ? `key-id ${className}` : 'key-id'}>
      {luks ? `${t('keys.luks.name')} ` : null}
      <strong>{shown.slice(0, 8)}</strong>
      {shown.slice(8)}
      {luks ? ` · ${t('keys.luks.slot', { slot: luks.slot })}` : null}
    </span>
  );
}
