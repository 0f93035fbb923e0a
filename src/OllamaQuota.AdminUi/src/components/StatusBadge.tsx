import type { KeyStatus } from '../api/types';
import { useI18n } from '../i18n';

export function StatusBadge({ status }: { status: KeyStatus }) {
  const { t } = useI18n();
  return (
    <span className={`badge badge-${status}`} data-testid="key-status" data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}
