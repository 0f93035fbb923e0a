import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, problem, renderApp } from '../test/helpers';

const SETTINGS = { ollama_url: 'http://localhost:11434', default_model: 'llama3' };
const MODELS = { models: [{ name: 'llama3', size: 1, modified_at: '2026-11-01T00:00:00Z' }, { name: 'qwen2.5:7b' }] };

describe('settings', () => {
  it('loads the settings and fills the model dropdown', async () => {
    mockApi({ 'GET /api/settings': { body: SETTINGS }, 'GET /api/ollama-models': { body: MODELS }, 'GET /api/api-keys': { body: [] } });
    renderApp({ hash: '#/settings' });
    expect(await screen.findByLabelText('Ollama URL')).toHaveValue('http://localhost:11434');
    const select = await screen.findByRole('combobox', { name: 'Default model' });
    await waitFor(() => expect(select).toBeEnabled());
    expect([...(select as HTMLSelectElement).options].map((o) => o.value)).toEqual(['llama3', 'qwen2.5:7b']);
    expect(select).toHaveValue('llama3');
  });

  it('treats a default model without a tag as the installed ":latest" model', async () => {
    const tagged = { models: [{ name: 'llama3:latest' }, { name: 'qwen2.5:7b' }] };
    mockApi({ 'GET /api/settings': { body: SETTINGS }, 'GET /api/ollama-models': { body: tagged }, 'GET /api/api-keys': { body: [] } });
    renderApp({ hash: '#/settings' });
    const select = await screen.findByRole('combobox', { name: 'Default model' });
    await waitFor(() => expect(select).toBeEnabled());
    expect([...(select as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['llama3:latest', 'qwen2.5:7b']);
    expect(select).toHaveValue('llama3');
  });

  it('tests the connection and shows the Ollama version', async () => {
    const { calls } = mockApi({
      'GET /api/settings': { body: SETTINGS },
      'GET /api/ollama-models': { body: MODELS },
      'GET /api/api-keys': { body: [] },
      'POST /api/settings/test-connection': { body: { version: '0.12.3' } },
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    const url = await screen.findByLabelText('Ollama URL');
    await user.clear(url);
    await user.type(url, 'http://gpu-box:11434');
    await user.click(screen.getByRole('button', { name: 'Test connection' }));

    const result = await screen.findByTestId('test-connection-result');
    expect(result).toHaveTextContent('Connected — Ollama 0.12.3');
    expect(result).toHaveAttribute('data-result', 'ok');
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ ollama_url: 'http://gpu-box:11434' });
  });

  it('shows the error when the connection test fails', async () => {
    mockApi({
      'GET /api/settings': { body: SETTINGS },
      'GET /api/ollama-models': { body: MODELS },
      'GET /api/api-keys': { body: [] },
      'POST /api/settings/test-connection': problem(502, 'Bad Gateway', 'Connection refused (localhost:11434).'),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    await user.click(await screen.findByRole('button', { name: 'Test connection' }));
    const result = await screen.findByTestId('test-connection-result');
    expect(result).toHaveTextContent('Connection failed: Connection refused (localhost:11434).');
    expect(result).toHaveAttribute('data-result', 'error');
  });

  it('does not test or save an invalid URL', async () => {
    const { calls } = mockApi({ 'GET /api/settings': { body: SETTINGS }, 'GET /api/ollama-models': { body: MODELS }, 'GET /api/api-keys': { body: [] } });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    const url = await screen.findByLabelText('Ollama URL');
    await user.clear(url);
    await user.type(url, 'localhost');
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(screen.getByText('Enter an http:// or https:// URL.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(calls.filter((c) => c.method !== 'GET')).toHaveLength(0);
  });

  it('lets the admin type a model when the list fails, and saves with PUT', async () => {
    const { calls } = mockApi({
      'GET /api/settings': { body: SETTINGS },
      'GET /api/ollama-models': problem(502, 'Bad Gateway', 'Ollama is not reachable.'),
      'GET /api/api-keys': { body: [] },
      'PUT /api/settings': (call) => ({ body: call.body }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    expect(await screen.findByTestId('models-unavailable')).toHaveTextContent('Ollama is not reachable.');
    const model = screen.getByRole('textbox', { name: 'Default model' });
    expect(model).toHaveValue('llama3');
    await user.clear(model);
    await user.type(model, 'mistral:7b');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({ ollama_url: 'http://localhost:11434', default_model: 'mistral:7b' });
  });

  it('shows field errors from a failed save', async () => {
    mockApi({
      'GET /api/settings': { body: SETTINGS },
      'GET /api/ollama-models': { body: MODELS },
      'GET /api/api-keys': { body: [] },
      'PUT /api/settings': problem(400, 'Validation failed', 'Invalid settings.', { ollama_url: ['Host not allowed.'] }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    await screen.findByLabelText('Ollama URL');
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Default model' })).toBeEnabled());
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid settings.');
    expect(screen.getByText('Host not allowed.')).toBeInTheDocument();
  });

  it('shows the guardrails and saves only the changed ones, null for a cleared one', async () => {
    const stored = { ...SETTINGS, max_keep_alive: 1800, num_ctx: { default: { max: 8192 } }, max_images_per_request: 4, max_image_bytes: null };
    const { calls } = mockApi({
      'GET /api/settings': { body: stored },
      'GET /api/ollama-models': { body: MODELS },
      'GET /api/api-keys': { body: [] },
      'PUT /api/settings': (call) => ({ body: { ...stored, ...(call.body as object), max_keep_alive: 3600 } }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    const keepAlive = await screen.findByLabelText('Longest keep-alive');
    await waitFor(() => expect(keepAlive).toHaveValue('1800'));
    expect(screen.getByLabelText('Images per request')).toHaveValue('4');
    expect(JSON.parse((screen.getByLabelText('Context size (num_ctx) rules') as HTMLTextAreaElement).value)).toEqual({ default: { max: 8192 } });
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Default model' })).toBeEnabled());

    await user.clear(keepAlive);
    await user.type(keepAlive, '1h');
    await user.clear(screen.getByLabelText('Images per request'));
    await user.type(screen.getByLabelText('Image size (bytes of base64)'), '1048576');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({
      ...SETTINGS,
      max_keep_alive: '1h',
      max_images_per_request: null,
      max_image_bytes: 1048576,
    });
    // The saved settings reach the form in an effect after the notice's render.
    await waitFor(() => expect(keepAlive).toHaveValue('3600'));
  });

  it('checks the guardrails before saving and shows the server\'s word on them', async () => {
    const { calls } = mockApi({
      'GET /api/settings': { body: SETTINGS },
      'GET /api/ollama-models': { body: MODELS },
      'GET /api/api-keys': { body: [] },
      'PUT /api/settings': problem(400, 'Validation failed', 'The settings were not changed.', { max_keep_alive: ['must be a duration such as "5m"'] }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    const rules = await screen.findByLabelText('Context size (num_ctx) rules');
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Default model' })).toBeEnabled());
    await user.type(rules, 'not json');
    await user.type(screen.getByLabelText('Images per request'), 'many');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(rules).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Images per request')).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    await user.clear(rules);
    await user.clear(screen.getByLabelText('Images per request'));
    await user.type(screen.getByLabelText('Longest keep-alive'), 'forever');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The settings were not changed.');
    expect(screen.getByLabelText('Longest keep-alive')).toHaveAccessibleDescription(/must be a duration/);
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({ ...SETTINGS, max_keep_alive: 'forever' });
  });

  it('edits the fair share of model slots and shows the server\'s word on them', async () => {
    const stored = { ...SETTINGS, model_slots: { default: 4 }, queue_timeout_seconds: null };
    const { calls } = mockApi({
      'GET /api/settings': { body: stored },
      'GET /api/ollama-models': { body: MODELS },
      'GET /api/api-keys': { body: [] },
      'PUT /api/settings': problem(400, 'Validation failed', 'The settings were not changed.', {
        model_slots: ['model_slots.models.llama3 must be a whole number of slots from 1 to 1024, or null'],
      }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    const slots = (await screen.findByLabelText('Model slots (fair share)')) as HTMLTextAreaElement;
    await waitFor(() => expect(JSON.parse(slots.value)).toEqual({ default: 4 }));
    const timeout = screen.getByLabelText('Longest wait for a slot (seconds)');
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Default model' })).toBeEnabled());

    await user.type(timeout, '0');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(timeout).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    await user.clear(timeout);
    await user.type(timeout, '30');
    await user.clear(slots);
    await user.click(slots);
    await user.paste('{"default": 4, "models": {"llama3": 0}}');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The settings were not changed.');
    expect(slots).toHaveAccessibleDescription(/must be a whole number of slots/);
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({
      ...SETTINGS,
      model_slots: { default: 4, models: { llama3: 0 } },
      queue_timeout_seconds: 30,
    });
  });

  it('shows an error state when the settings cannot be loaded', async () => {
    mockApi({ 'GET /api/settings': problem(500, 'Internal Server Error'), 'GET /api/ollama-models': { body: MODELS }, 'GET /api/api-keys': { body: [] } });
    renderApp({ hash: '#/settings' });
    expect(await screen.findByTestId('settings-error')).toHaveTextContent('Internal Server Error');
  });

  it('keeps usage events for the days typed, sends only a changed retention, refuses a bad one', async () => {
    const stored = { ...SETTINGS, usage_retention_days: null };
    const { calls } = mockApi({
      'GET /api/settings': { body: stored },
      'GET /api/ollama-models': { body: MODELS },
      'GET /api/api-keys': { body: [] },
      'PUT /api/settings': (call) => ({ body: { ...stored, ...(call.body as object) } }),
    });
    const user = userEvent.setup();
    renderApp({ hash: '#/settings' });
    const retention = await screen.findByLabelText('Keep usage events for (days)');
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Default model' })).toBeEnabled());

    await user.type(retention, '0');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Enter a whole number of days from 1 to 36500, or leave empty.')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);

    await user.clear(retention);
    await user.type(retention, '90');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(await screen.findByText('Settings saved.')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'PUT')!.body).toEqual({ ...SETTINGS, usage_retention_days: 90 });
  });
});
