/**
 * Ollama treats a model name without a tag as ":latest", so "llama3" and "llama3:latest" are the same model.
 */
export function sameModel(a: string, b: string): boolean {
  return withTag(a) === withTag(b)
}

function withTag(name: string): string {
  const trimmed = name.trim()
  return trimmed.includes(':') ? trimmed : `${trimmed}:latest`
}
