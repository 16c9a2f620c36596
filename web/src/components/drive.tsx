import { useTranslation } from 'react-i18next';
import type { KeySummary } from '../api/keys.js';

export function DriveLabel({ volume }: { volume: KeySummary['volume'] }) {
  const { t } = useTranslation();
  return (
    <span>
      {volume.label ? `${volume.label} · ` : ''}
      {t(`keys.driveType.${volume.type}`)}
    </span>
  );
}
