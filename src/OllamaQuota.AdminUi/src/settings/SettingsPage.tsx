import { useEffect, useId, useState, type FormEvent } from 'react';
import type { Settings } from '../api/types';
import { useApi } from '../auth';
import { ErrorAlert, Loading, errorMessage, fieldErrors } from '../components/feedback';
import { useNotice } from '../components/Notice';
import { useI18n } from '../i18n';
import { useLoad } from '../lib/useLoad';
import { sameModel } from '../lib/models'
import {
  GUARDRAIL_FIELDS,
  GuardrailFields,
  guardrailValuesFrom,
  parseGuardrails,
  type GuardrailValues,
} from './GuardrailFields';

const FIELDS = ['ollama_url', 'default_model', ...GUARDRAIL_FIELDS, 'usage_retention_days'] as const;
const MOST_RETENTION_DAYS = 36500;

/** The retention field as the API takes it: null for empty, a number of days, or undefined when invalid. */
export function parseRetention(value: string): number | null | undefined {
  const v = value.trim();
  if (!v) return null;
  if (!/^\d+$/.test(v)) return undefined;
  const days = Number(v);
  return days >= 1 && days <= MOST_RETENTION_DAYS ? days : undefined;
}
type Field = (typeof FIELDS)[number];

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s.trim());
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname;
  } catch {
    return false;
  }
}

type TestState =
  | { state: 'idle' }
  | { state: 'testing' }
  | { state: 'ok'; version: string }
  | { state: 'error'; message: string };

export function SettingsPage() {
  const { t } = useI18n();
  const api = useApi();
  const id = useId();
  const settings = useLoad((signal) => api.getSettings(signal), [api]);
  const models = useLoad((signal) => api.listModels(signal), [api]);

  const [url, setUrl] = useState('');
  const [model, setModel] = useState('');
  const [guardrails, setGuardrails] = useState<GuardrailValues>(() => guardrailValuesFrom({}));
  const [retention, setRetention] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [test, setTest] = useState<TestState>({ state: 'idle' });
  const [notice, showNotice] = useNotice();

  useEffect(() => {
    if (settings.data) {
      setUrl(settings.data.ollama_url);
      setModel(settings.data.default_model);
      setGuardrails(guardrailValuesFrom(settings.data));
      setRetention(settings.data.usage_retention_days?.toString() ?? '');
    }
  }, [settings.data]);

  const testConnection = async () => {
    if (!isHttpUrl(url)) {
      setErrors((e) => ({ ...e, ollama_url: t('settings.ollamaUrlInvalid') }));
      return;
    }
    setErrors((e) => ({ ...e, ollama_url: undefined }));
    setTest({ state: 'testing' });
    try {
      const res = await api.testConnection(url.trim());
      setTest({ state: 'ok', version: res.version });
    } catch (err) {
      setTest({ state: 'error', message: errorMessage(err, t) });
    }
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: typeof errors = {};
    if (!isHttpUrl(url)) errs.ollama_url = t('settings.ollamaUrlInvalid');
    if (!model.trim()) errs.default_model = t('settings.modelRequired');
    const parsed = parseGuardrails(guardrails);
    if ('invalid' in parsed) for (const f of parsed.invalid) errs[f] = t(`guardrails.${f}Invalid`);
    const retentionDays = parseRetention(retention);
    if (retentionDays === undefined) errs.usage_retention_days = t('settings.retentionInvalid');
    setErrors(errs);
    if (Object.keys(errs).length || 'invalid' in parsed) return;

    // Only the guardrails the admin changed go with the save.
    const loaded = guardrailValuesFrom(settings.data ?? {});
    const changed = GUARDRAIL_FIELDS.filter((f) => guardrails[f] !== loaded[f]);
    const body: Settings = {
      ollama_url: url.trim(),
      default_model: model.trim(),
      ...Object.fromEntries(changed.map((f) => [f, parsed.guardrails[f]])),
      ...(retentionDays !== (settings.data?.usage_retention_days ?? null) ? { usage_retention_days: retentionDays } : {}),
    };
    setSaving(true);
    setSaveError(null);
    try {
      const saved = await api.putSettings(body);
      const urlChanged = saved.ollama_url !== settings.data?.ollama_url;
      settings.setData(saved);
      showNotice(t('settings.saved'));
      if (urlChanged) models.reload();
    } catch (err) {
      setSaveError(err);
      setErrors(fieldErrors(err, FIELDS).byField);
    } finally {
      setSaving(false);
    }
  };

  if (settings.loading && !settings.data) {
    return (
      <section className="page" data-testid="settings-page">
        <h1>{t('settings.title')}</h1>
        <Loading testId="settings-loading" />
      </section>
    );
  }
  if (settings.error && !settings.data) {
    return (
      <section className="page" data-testid="settings-page">
        <h1>{t('settings.title')}</h1>
        <ErrorAlert error={settings.error} heading={t('settings.loadError')} onRetry={settings.reload} testId="settings-error" />
      </section>
    );
  }

  const modelList = models.data?.models ?? [];
  const useSelect = !models.loading && !models.error && modelList.length > 0;
  const names = modelList.map((m) => m.name);
  const urlErrId = `${id}-url-err`;
  const modelErrId = `${id}-model-err`;

  return (
    <section className="page page-narrow" data-testid="settings-page">
      <header className="page-header">
        <div>
          <h1>{t('settings.title')}</h1>
          <p className="muted">{t('settings.subtitle')}</p>
        </div>
      </header>
      {notice}

      <form className="card form-card" onSubmit={onSubmit} noValidate data-testid="settings-form">
        <ErrorAlert error={saveError} fields={FIELDS} />

        <div className={`field${errors.ollama_url ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-url`}>{t('settings.ollamaUrl')}</label>
          <div className="input-with-button">
            <input
              id={`${id}-url`}
              type="url"
              inputMode="url"
              autoComplete="off"
              spellCheck={false}
              value={url}
              onChange={(e) => {
                setUrl(e.target.value);
                setTest({ state: 'idle' });
              }}
              aria-invalid={errors.ollama_url ? true : undefined}
              aria-describedby={`${id}-url-hint${errors.ollama_url ? ` ${urlErrId}` : ''}`}
              data-testid="settings-ollama-url"
            />
            <button
              type="button"
              className="btn btn-secondary"
              onClick={testConnection}
              disabled={test.state === 'testing'}
              data-testid="test-connection-button"
            >
              {test.state === 'testing' ? t('settings.testing') : t('settings.test')}
            </button>
          </div>
          <p className="field-hint" id={`${id}-url-hint`}>
            {t('settings.ollamaUrlHint')}
          </p>
          {errors.ollama_url && (
            <p className="field-error" id={urlErrId}>
              {errors.ollama_url}
            </p>
          )}
          <div role="status" aria-live="polite">
            {(test.state === 'ok' || test.state === 'error') && (
              <p
                className={`test-result test-${test.state}`}
                data-testid="test-connection-result"
                data-result={test.state}
              >
                {test.state === 'ok'
                  ? `✓ ${t('settings.testOk', { version: test.version })}`
                  : `✕ ${t('settings.testFailed', { message: test.message })}`}
              </p>
            )}
          </div>
        </div>

        <div className={`field${errors.default_model ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-model`}>{t('settings.defaultModel')}</label>
          <div className="input-with-button">
            {models.loading ? (
              <select id={`${id}-model`} disabled data-testid="settings-default-model">
                <option>{t('settings.modelsLoading')}</option>
              </select>
            ) : useSelect ? (
              <select
                id={`${id}-model`}
                value={model}
                onChange={(e) => setModel(e.target.value)}
                aria-invalid={errors.default_model ? true : undefined}
                aria-describedby={`${id}-model-hint${errors.default_model ? ` ${modelErrId}` : ''}`}
                data-testid="settings-default-model"
              >
                {!model && <option value="">{t('settings.chooseModel')}</option>}
                {model && !names.some((n) => sameModel(n, model)) && (
                  <option value={model}>{t('settings.modelNotInstalled', { name: model })}</option>
                )}
                {names.map((n) => (
                  <option key={n} value={sameModel(n, model) ? model : n}>
                    {n}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={`${id}-model`}
                type="text"
                autoComplete="off"
                spellCheck={false}
                value={model}
                onChange={(e) => setModel(e.target.value)}
                aria-invalid={errors.default_model ? true : undefined}
                aria-describedby={`${id}-model-hint ${id}-model-note${errors.default_model ? ` ${modelErrId}` : ''}`}
                data-testid="settings-default-model"
              />
            )}
            <button
              type="button"
              className="btn btn-ghost"
              onClick={models.reload}
              disabled={models.loading}
              data-testid="reload-models-button"
            >
              <span aria-hidden="true">↻</span> <span className="visually-hidden-sm">{t('settings.reloadModels')}</span>
            </button>
          </div>
          <p className="field-hint" id={`${id}-model-hint`}>
            {t('settings.defaultModelHint')}
          </p>
          {!models.loading && !useSelect && (
            <p className="field-note" id={`${id}-model-note`} data-testid="models-unavailable">
              {models.error
                ? t('settings.modelsFailed', { message: errorMessage(models.error, t) })
                : t('settings.modelsEmpty')}
            </p>
          )}
          {errors.default_model && (
            <p className="field-error" id={modelErrId}>
              {errors.default_model}
            </p>
          )}
        </div>

        <GuardrailFields
          values={guardrails}
          onChange={(f, v) => setGuardrails((prev) => ({ ...prev, [f]: v }))}
          errors={errors}
        />

        <div className={`field${errors.usage_retention_days ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-retention`}>{t('settings.retention')}</label>
          <input
            id={`${id}-retention`}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={retention}
            onChange={(e) => setRetention(e.target.value)}
            aria-invalid={errors.usage_retention_days ? true : undefined}
            aria-describedby={`${id}-retention-hint${errors.usage_retention_days ? ` ${id}-retention-err` : ''}`}
            data-testid="settings-retention"
          />
          <p className="field-hint" id={`${id}-retention-hint`}>
            {t('settings.retentionHint')}
          </p>
          {errors.usage_retention_days && (
            <p className="field-error" id={`${id}-retention-err`}>
              {errors.usage_retention_days}
            </p>
          )}
        </div>

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={saving} data-testid="settings-save">
            {saving ? t('common.saving') : t('common.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
