#!/usr/bin/env bash
# Benchmarks OllamaQuota's cl100k_base tokenizer (C#) against the npm tiktoken package on the same
# inputs and prints one side-by-side table (also saved to bench/out/tokenizer.md).
#   SECONDS_PER_CASE  timing window per C# case (default 3)
#   TIKTOKEN_TIMEOUT  limit for tiktoken's 1 MiB single-char runs, which are quadratic (default 60 s)
set -euo pipefail

bench="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$bench")"
vectors="$repo/tests/OllamaQuota.Tests/Tokens/Vectors/cl100k_vectors.json"
out="$bench/out"
mkdir -p "$out"

echo "== npm tiktoken (node $(node --version))" >&2
(cd "$bench/Tokenizer/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
node "$bench/Tokenizer/node/bench.mjs" "$vectors" "$out/tiktoken.json" "${TIKTOKEN_TIMEOUT:-60}"

echo "== C# (dotnet $(dotnet --version))" >&2
dotnet build "$bench/Tokenizer/OllamaQuota.Bench.Tokenizer.csproj" -c Release -nologo -v q >&2
dotnet "$bench/Tokenizer/bin/Release/net10.0/OllamaQuota.Bench.Tokenizer.dll" \
  "$vectors" "$out/tiktoken.json" "${SECONDS_PER_CASE:-3}" | tee "$out/tokenizer.md"
