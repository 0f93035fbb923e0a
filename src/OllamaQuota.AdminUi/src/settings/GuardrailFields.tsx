import { useId } from 'react';
import type { Guardrails } from '../api/types';
import { parseLimit } from '../components/LimitFields';
import { useI18n } from '../i18n';

export const GUARDRAIL_FIELDS = [
  'max_keep_alive',
  'num_ctx',
  'max_images_per_request',
  'max_image_bytes',
  'model_slots',
  'queue_timeout_seconds',
] as const;
export type GuardrailField = (typeof GUARDRAIL_FIELDS)[number];
export type GuardrailValues = Record<GuardrailField, string>;

export const guardrailValuesFrom = (g: Partial<Guardrails>): GuardrailValues => ({
  max_keep_alive: g.max_keep_alive?.toString() ?? '',
  num_ctx: g.num_ctx ? JSON.stringify(g.num_ctx, null, 2) : '',
  max_images_per_request: g.max_images_per_request?.toString() ?? '',
  max_image_bytes: g.max_image_bytes?.toString() ?? '',
  model_slots: g.model_slots ? JSON.stringify(g.model_slots, null, 2) : '',
  queue_timeout_seconds: g.queue_timeout_seconds?.toString() ?? '',
});

/** A JSON object as typed, null when empty, undefined when it is not a JSON object. */
function parseJsonObject<T>(text: string): T | null | undefined {
  if (!text.trim()) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The values as the Admin API takes them ('' = off, sent as null), or the fields that cannot be sent. The keep-alive
 * goes as typed (a number of seconds or a duration such as "30m"): the server checks it and names it if wrong.
 */
export function parseGuardrails(values: GuardrailValues): { guardrails: Guardrails } | { invalid: GuardrailField[] } {
  const invalid: GuardrailField[] = [];
  const keepAlive = values.max_keep_alive.trim();
  const numCtx = parseJsonObject<NonNullable<Guardrails['num_ctx']>>(values.num_ctx);
  const slots = parseJsonObject<NonNullable<Guardrails['model_slots']>>(values.model_slots);
  const images = parseLimit(values.max_images_per_request);
  const bytes = parseLimit(values.max_image_bytes);
  const queueTimeout = parseLimit(values.queue_timeout_seconds);
  if (numCtx === undefined) invalid.push('num_ctx');
  if (images === undefined) invalid.push('max_images_per_request');
  if (bytes === undefined) invalid.push('max_image_bytes');
  if (slots === undefined) invalid.push('model_slots');
  if (queueTimeout === undefined || queueTimeout === 0) invalid.push('queue_timeout_seconds');
  if (invalid.length) return { invalid };
  return {
    guardrails: {
      max_keep_alive: keepAlive === '' ? null : /^\d+$/.test(keepAlive) ? Number(keepAlive) : keepAlive,
      num_ctx: numCtx ?? null,
      max_images_per_request: images ?? null,
      max_image_bytes: bytes ?? null,
      model_slots: slots ?? null,
      queue_timeout_seconds: queueTimeout ?? null,
    },
  };
}

/** The guardrail inputs of the settings page; each empty field is off. */
export function GuardrailFields({
  values,
  onChange,
  errors,
}: {
  values: GuardrailValues;
  onChange: (field: GuardrailField, value: string) => void;
  errors: Partial<Record<GuardrailField, string>>;
}) {
  const { t } = useI18n();
  const id = useId();
  return (
    <fieldset className="fieldset" data-testid="guardrails">
      <legend>{t('guardrails.title')}</legend>
      <p className="field-hint">{t('guardrails.hint')}</p>
      {GUARDRAIL_FIELDS.map((f) => {
        const err = errors[f];
        const inputId = `${id}-${f}`;
        const common = {
          id: inputId,
          value: values[f],
          spellCheck: false,
          'aria-invalid': err ? true : undefined,
          'aria-describedby': `${inputId}-hint${err ? ` ${inputId}-err` : ''}`,
          'data-testid': `guardrail-${f}`,
        };
        return (
          <div key={f} className={`field${err ? ' field-invalid' : ''}`}>
            <label htmlFor={inputId}>{t(`guardrails.${f}`)}</label>
            {f === 'num_ctx' || f === 'model_slots' ? (
              <textarea {...common} rows={4} onChange={(e) => onChange(f, e.target.value)} />
            ) : (
              <input {...common} type="text" autoComplete="off" onChange={(e) => onChange(f, e.target.value)} />
            )}
            <p className="field-hint" id={`${inputId}-hint`}>
              {t(`guardrails.${f}Hint`)}
            </p>
            {err && (
              <p className="field-error" id={`${inputId}-err`}>
                {err}
              </p>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
